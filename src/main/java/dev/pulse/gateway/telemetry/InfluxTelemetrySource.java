package dev.pulse.gateway.telemetry;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.influxdb.client.InfluxDBClient;
import com.influxdb.client.InfluxDBClientFactory;
import com.influxdb.client.InfluxDBClientOptions;
import com.influxdb.client.service.InfluxQLQueryService;

import dev.pulse.gateway.observability.DataSource;
import dev.pulse.gateway.config.PulseConfig;
import dev.pulse.gateway.observability.GatewayMetrics;
import okhttp3.Credentials;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.ResponseBody;
import io.quarkus.runtime.Startup;
import retrofit2.Response;

/**
 * Telemetry from InfluxDB 1.x through influxdb-client-java's InfluxQL service ({@code POST /query}), answered as JSON
 * and parsed by {@link InfluxResponseParser}. The client's own Flux and v2 APIs do not exist on 1.x.
 *
 * <p>Built at startup ({@code @Startup}): building the client (OkHttp, Retrofit, the client's own classes) took 5 % of
 * a fresh replica's CPU while its first clients connected, because the first subscribe built it (profiled in the
 * bench's cold connects). Nothing here contacts InfluxDB.
 */
@Startup
@ApplicationScoped
public class InfluxTelemetrySource implements TelemetrySource {

    /** Readiness probes have a short deadline (Kubernetes' default is one second; ours is three). */
    private static final Duration PING_TIMEOUT = Duration.ofSeconds(2);

    private final PulseConfig.Influx config;
    private final PulseConfig.Telemetry telemetry;
    private final GatewayMetrics metrics;
    private final InfluxResponseParser parser;
    private final InfluxDBClient client;
    private final InfluxQLQueryService queries;
    /** For {@link #isReachable()}: the client's own ping logs a warning with a stack trace on every failure. */
    private final OkHttpClient pingClient;
    private final Request ping;

    public InfluxTelemetrySource(PulseConfig config, GatewayMetrics metrics, ObjectMapper mapper) {
        this.config = config.influx();
        this.telemetry = config.telemetry();
        this.metrics = metrics;
        this.parser = new InfluxResponseParser(mapper);
        InfluxQl.requireName("pulse.influx.measurement", this.config.measurement());
        InfluxQl.requireName("pulse.influx.tenant-tag", this.config.tenantTag());
        InfluxQl.requireName("pulse.influx.device-tag", this.config.deviceTag());
        // As many kept-alive connections as reader threads (OkHttp keeps 5 by default): with many tenants read in
        // parallel, fewer would mean a new TCP connection per query.
        int readers = Math.max(1, config.telemetry().pollConcurrency());
        this.client = InfluxDBClientFactory.create(clientOptions(this.config, httpClient(this.config)
                .connectionPool(new okhttp3.ConnectionPool(readers, 5, java.util.concurrent.TimeUnit.MINUTES))));
        this.queries = client.getService(InfluxQLQueryService.class);
        this.pingClient = httpClient(this.config).callTimeout(PING_TIMEOUT).build();
        this.ping = new Request.Builder().url(HttpUrl.get(this.config.url()).newBuilder().addPathSegment("ping").build())
                .get().build();
    }

    private static OkHttpClient.Builder httpClient(PulseConfig.Influx config) {
        OkHttpClient.Builder http = new OkHttpClient.Builder()
                .connectTimeout(config.timeout())
                .readTimeout(config.timeout())
                .writeTimeout(config.timeout());
        if (config.username().isPresent()) {
            // The client's username/password login is the 2.x sign-in API; InfluxDB 1.x wants HTTP Basic.
            String basic = Credentials.basic(config.username().get(), config.password().orElse(""));
            http.addInterceptor(chain -> chain.proceed(
                    chain.request().newBuilder().header("Authorization", basic).build()));
        }
        return http;
    }

    private static InfluxDBClientOptions clientOptions(PulseConfig.Influx config, OkHttpClient.Builder http) {
        InfluxDBClientOptions.Builder options = InfluxDBClientOptions.builder().url(config.url());
        if (config.username().isEmpty() && config.token().isPresent()) {
            options.authenticateToken(config.token().get().toCharArray());
        }
        return options.okHttpClient(http).build();
    }

    @Override
    public List<TelemetryPoint> latestPoints(String tenant, List<String> deviceIds) throws TelemetrySourceException {
        String statement;
        try {
            statement = InfluxQl.latestPoints(config.measurement(), config.tenantTag(), config.deviceTag(), tenant,
                    deviceIds, telemetry.lookback());
        } catch (IllegalArgumentException e) {
            // Not expected (ids are validated on subscribe), but a batch that cannot be expressed fails like one
            // InfluxDB refused, through the poller's own handling, not as an exception it does not know.
            throw new TelemetrySourceException("No InfluxQL statement for these devices: " + e.getMessage(), e);
        }
        metrics.sourceQuery(DataSource.INFLUXDB);
        Response<ResponseBody> response;
        try {
            response = queries.query(statement, config.database(), config.retentionPolicy().orElse(null), null, null,
                    "application/json").execute();
        } catch (IOException | RuntimeException e) {
            throw new TelemetrySourceException("InfluxDB unreachable at " + config.url() + ": " + e.getMessage(), e);
        }
        if (!response.isSuccessful()) {
            throw new TelemetrySourceException("InfluxDB answered HTTP " + response.code() + errorText(response));
        }
        try (ResponseBody body = response.body(); InputStream in = body.byteStream()) {
            return parser.parse(in, config.deviceTag(), deviceIds);
        } catch (IOException e) {
            throw new TelemetrySourceException("InfluxDB answer could not be read: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean isReachable() {
        try (okhttp3.Response answer = pingClient.newCall(ping).execute()) {
            return answer.isSuccessful();
        } catch (IOException | RuntimeException e) {
            // An outage is logged once by the pollers; a probe every few seconds must not add a line each time.
            return false;
        }
    }

    private static String errorText(Response<ResponseBody> response) {
        try (ResponseBody error = response.errorBody()) {
            if (error == null) {
                return "";
            }
            String text = error.string();
            return text.isBlank() ? "" : ": " + (text.length() > 300 ? text.substring(0, 300) : text.strip());
        } catch (IOException e) {
            return "";
        }
    }

    @PreDestroy
    void close() {
        client.close();
    }
}
