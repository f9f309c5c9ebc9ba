package dev.pulse.bench;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;

/**
 * The floor, run as its own process like Pulse: a minimal Vert.x WebSocket server with no authentication, no parsing
 * and no bookkeeping. {@code POST /broadcast} writes the body to every connected socket, as {@code POST /ws/broadcast}
 * does for Pulse, so both get one HTTP request per broadcast and Pulse's fan-out is reported as a share of this.
 */
public final class RawFanoutServer {

    private RawFanoutServer() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        List<ServerWebSocket> sockets = new CopyOnWriteArrayList<>();
        vertx.createHttpServer(new HttpServerOptions().setPort(port).setHost("127.0.0.1"))
                .webSocketHandler(socket -> {
                    sockets.add(socket);
                    socket.closeHandler(ignored -> sockets.remove(socket));
                    socket.textMessageHandler(ignored -> { });
                })
                .requestHandler(request -> request.body().onSuccess(body -> {
                    String text = body.toString();
                    for (ServerWebSocket socket : sockets) {
                        socket.writeTextMessage(text);
                    }
                    request.response().setStatusCode(202).end();
                }))
                .listen().toCompletionStage().toCompletableFuture().get();
        System.out.println("floor listening on " + port);
    }
}
