package dev.pulse.bench;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * The floor, run as its own process like Pulse: a minimal Vert.x WebSocket server with no authentication, no parsing
 * and no bookkeeping. {@code POST /broadcast} writes the body to every connected socket, as {@code POST /ws/broadcast}
 * does for Pulse, so both get one HTTP request per broadcast and Pulse's fan-out is reported as a share of this.
 *
 * <p>As fast as Netty allows, so that the share means something: the frame is encoded once per broadcast into one
 * direct buffer, each socket gets a duplicate of it written straight to its channel, each event loop gets one task per
 * broadcast, and broadcasts that arrive within {@value #FLUSH_INTERVAL_NANOS} ns of a loop's last flush share one
 * socket write per connection (Pulse's own {@code pulse.delivery.flush-interval}, at its default), from one buffer
 * that holds them all.
 */
public final class RawFanoutServer {

    private static final long FLUSH_INTERVAL_NANOS = 50_000_000;

    private RawFanoutServer() {
    }

    /** One event loop's sockets and the frames waiting for its next write run; touched only on that loop. */
    private static final class LoopFanout {
        final EventLoop loop;
        final List<Channel> channels = new ArrayList<>();
        final List<ByteBuf> frames = new ArrayList<>();
        boolean scheduled;
        long lastRun = System.nanoTime() - FLUSH_INTERVAL_NANOS;

        LoopFanout(EventLoop loop) {
            this.loop = loop;
        }

        void add(ByteBuf frame) {
            frames.add(frame);
            if (!scheduled) {
                scheduled = true;
                long wait = lastRun + FLUSH_INTERVAL_NANOS - System.nanoTime();
                if (wait <= 0) {
                    loop.execute(this::run);
                } else {
                    loop.schedule(this::run, wait, TimeUnit.NANOSECONDS);
                }
            }
        }

        void run() {
            scheduled = false;
            lastRun = System.nanoTime();
            // Every socket of the loop gets the same frames: one buffer holding them all, one write per socket.
            ByteBuf run = frames.size() == 1 ? frames.get(0) : concatenated(frames);
            for (Channel channel : channels) {
                channel.writeAndFlush(run.duplicate(), channel.voidPromise());
            }
            frames.clear();
        }

        private static ByteBuf concatenated(List<ByteBuf> frames) {
            int bytes = frames.stream().mapToInt(ByteBuf::readableBytes).sum();
            ByteBuffer all = ByteBuffer.allocateDirect(bytes);
            for (ByteBuf frame : frames) {
                all.put(frame.nioBuffer());
            }
            return Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(all.flip()));
        }
    }

    public static void main(String[] args) throws Exception {
        Bench.quietLogging();
        int port = Integer.parseInt(args[0]);
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        Map<EventLoop, LoopFanout> byLoop = new ConcurrentHashMap<>();
        vertx.createHttpServer(new HttpServerOptions().setPort(port).setHost("127.0.0.1"))
                .requestHandler(request -> {
                    if ("websocket".equalsIgnoreCase(request.getHeader("Upgrade"))) {
                        Channel channel = ((ConnectionBase) request.connection()).channel();
                        request.toWebSocket().onSuccess(socket -> {
                            LoopFanout fanout = byLoop.computeIfAbsent(channel.eventLoop(), LoopFanout::new);
                            fanout.loop.execute(() -> fanout.channels.add(channel));
                            socket.closeHandler(ignored -> fanout.loop.execute(() -> fanout.channels.remove(channel)));
                            socket.textMessageHandler(ignored -> { });
                        });
                        return;
                    }
                    request.body().onSuccess(body -> {
                        ByteBuf frame = frame(body.getBytes());
                        byLoop.values().forEach(fanout -> fanout.loop.execute(() -> fanout.add(frame)));
                        request.response().setStatusCode(202).end();
                    });
                })
                .listen().toCompletionStage().toCompletableFuture().get();
        System.out.println("floor listening on " + port);
    }

    /** A final, unmasked text frame in one direct buffer, shared read-only by every write. */
    private static ByteBuf frame(byte[] payload) {
        int length = payload.length;
        ByteBuffer frame = ByteBuffer.allocateDirect(10 + length);
        frame.put((byte) 0x81);
        if (length < 126) {
            frame.put((byte) length);
        } else if (length <= 0xFFFF) {
            frame.put((byte) 126).putShort((short) length);
        } else {
            frame.put((byte) 127).putLong(length);
        }
        frame.put(payload).flip();
        return Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(frame));
    }
}
