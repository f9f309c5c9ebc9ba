package dev.pulse.gateway.deploy;

import static io.restassured.RestAssured.get;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import dev.pulse.gateway.config.PulseConfig;
import dev.pulse.gateway.support.LocalStack;
import dev.pulse.gateway.support.Management;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;

/**
 * Reads every manifest under {@code k8s/} into typed Kubernetes objects (the fabric8 model; any field the model does
 * not know fails the test, so a misspelt key cannot pass silently) and checks them against the application itself:
 * probe paths and the metrics path answer on the running server's management interface (and not on its public port),
 * ports match {@code quarkus.http.port} and {@code quarkus.management.port}, the management port is open to the
 * monitoring namespace only, every
 * environment variable names a configuration property that exists, selectors and references line up, and the grace
 * period covers the shutdown sequence.
 */
@QuarkusTest
class ManifestsTest {

    private static final Path K8S = LocalStack.projectRoot().resolve("k8s");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Map<String, Class<? extends HasMetadata>> KINDS = Map.of(
            "Deployment", Deployment.class,
            "Service", Service.class,
            "ConfigMap", ConfigMap.class,
            "Secret", Secret.class,
            "HorizontalPodAutoscaler", HorizontalPodAutoscaler.class,
            "PodDisruptionBudget", PodDisruptionBudget.class,
            "NetworkPolicy", NetworkPolicy.class,
            "ServiceMonitor", ServiceMonitor.class,
            "PrometheusRule", io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule.class,
            "Job", Job.class);
    /** Read by the container image's start script, not by Pulse. */
    private static final Set<String> IMAGE_VARIABLES = Set.of("JAVA_MAX_MEM_RATIO", "JAVA_OPTS_APPEND");
    private static final Set<String> HEALTH_PATHS = Set.of("/q/health/live", "/q/health/ready", "/q/health/started");

    private static Map<Path, HasMetadata> manifests;
    private static Deployment deployment;
    private static ConfigMap configMap;
    private static Secret secretExample;
    private static Job migrationJob;
    private static Secret migrationSecretExample;

    @BeforeAll
    static void read() throws IOException {
        manifests = new HashMap<>();
        try (Stream<Path> files = Files.walk(K8S)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).toList()) {
                if (!file.getFileName().toString().equals("kustomization.yaml")) {
                    manifests.put(file, typed(file));
                }
            }
        }
        deployment = (Deployment) manifests.get(K8S.resolve("base/deployment.yaml"));
        configMap = (ConfigMap) manifests.get(K8S.resolve("base/configmap.yaml"));
        secretExample = (Secret) manifests.get(K8S.resolve("base/secret.example.yaml"));
        migrationJob = (Job) manifests.get(K8S.resolve("base/migration-job.yaml"));
        migrationSecretExample = (Secret) manifests.get(K8S.resolve("base/migration-secret.example.yaml"));
    }

    @Test
    void everyManifestIsAKnownKindWithOnlyFieldsTheModelKnows() {
        assertThat(manifests).hasSizeGreaterThanOrEqualTo(10);
        manifests.forEach((file, object) -> assertThat(unknownFields(object, object.getKind())).as(file.toString())
                .isEmpty());
    }

    @Test
    void kustomizationsReferenceFilesThatExistAndPatchWhatTheBaseHas() throws IOException {
        JsonNode base = YAML.readTree(K8S.resolve("base/kustomization.yaml").toFile());
        List<String> resources = new ArrayList<>();
        base.path("resources").forEach(r -> resources.add(r.asText()));
        assertThat(resources).noneMatch(resource -> resource.endsWith(".example.yaml"));
        for (String resource : resources) {
            assertThat(K8S.resolve("base").resolve(resource)).exists();
        }
        // Every base manifest but the secret examples is applied.
        try (Stream<Path> files = Files.list(K8S.resolve("base"))) {
            assertThat(files.map(f -> f.getFileName().toString())
                    .filter(name -> name.endsWith(".yaml") && !name.equals("kustomization.yaml")
                            && !name.endsWith(".example.yaml")))
                    .containsExactlyInAnyOrderElementsOf(resources);
        }
        // The Grafana dashboard ships as a generated ConfigMap of the JSON beside it (PrometheusIT evaluates its queries).
        JsonNode dashboard = base.path("configMapGenerator").get(0);
        assertThat(dashboard.path("options").path("labels").path("grafana_dashboard").asText()).isEqualTo("1");
        assertThat(K8S.resolve("base").resolve(dashboard.path("files").get(0).asText())).exists();
        String baseImage = deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getImage();
        for (String overlay : List.of("jvm", "native")) {
            Path dir = K8S.resolve("overlays").resolve(overlay);
            JsonNode kustomization = YAML.readTree(dir.resolve("kustomization.yaml").toFile());
            assertThat(kustomization.path("resources").get(0).asText()).isEqualTo("../../base");
            assertThat(kustomization.path("images").get(0).path("name").asText()).isEqualTo(baseImage);
            assertThat(kustomization.path("images").get(0).path("newTag").asText()).endsWith(overlay);
            for (JsonNode patch : kustomization.path("patches")) {
                Path file = dir.resolve(patch.path("path").asText());
                HasMetadata patched = manifests.get(file);
                assertThat(patched).as(file.toString()).isInstanceOf(Deployment.class);
                assertThat(patched.getMetadata().getName()).isEqualTo(deployment.getMetadata().getName());
                for (Container container : ((Deployment) patched).getSpec().getTemplate().getSpec().getContainers()) {
                    assertThat(container.getName()).isEqualTo(pulseContainer().getName());
                    probes(container).forEach(ManifestsTest::assertProbeAnswers);
                    container.getEnv().forEach(variable -> assertKnownVariable(variable.getName()));
                }
            }
        }
    }

    @Test
    void probesHitTheApplicationsHealthEndpointsOnItsManagementPort() {
        Container container = pulseContainer();
        List<Probe> probes = probes(container);
        assertThat(probes).hasSize(3);
        assertThat(probes).extracting(probe -> probe.getHttpGet().getPath())
                .containsExactlyInAnyOrder("/q/health/live", "/q/health/ready", "/q/health/started");
        probes.forEach(ManifestsTest::assertProbeAnswers);
        assertThat(container.getPorts()).hasSize(2);
        assertThat(containerPort("http")).isEqualTo(prodConfig().getValue("quarkus.http.port", Integer.class));
        assertThat(containerPort("management"))
                .isEqualTo(prodConfig().getValue("quarkus.management.port", Integer.class));
        // Probes answer fast (readiness checks are bounded to 2 s); Kubernetes' 1 s default is too tight.
        assertThat(container.getLivenessProbe().getTimeoutSeconds()).isGreaterThanOrEqualTo(3);
        assertThat(container.getReadinessProbe().getTimeoutSeconds()).isGreaterThanOrEqualTo(3);
    }

    @Test
    void podIsLockedDownAndOutlivesItsShutdownSequence() {
        PodSpec pod = deployment.getSpec().getTemplate().getSpec();
        Container container = pulseContainer();
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(container.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(container.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(container.getResources().getRequests()).containsKeys("cpu", "memory");
        assertThat(container.getResources().getLimits()).containsKey("memory");

        long preStop = container.getLifecycle().getPreStop().getSleep().getSeconds();
        Duration shutdown = Duration.ofSeconds(preStop)
                .plus(Duration.parse("PT" + configMap.getData().get("QUARKUS_SHUTDOWN_DELAY").toUpperCase(Locale.ROOT)))
                .plus(config().getValue("pulse.shutdown.close-timeout", Duration.class));
        assertThat(Duration.ofSeconds(pod.getTerminationGracePeriodSeconds())).isGreaterThan(shutdown.plusSeconds(5));
    }

    @Test
    void everyEnvironmentVariableIsAConfigurationPropertyAndEveryReferenceResolves() {
        Container container = pulseContainer();
        configMap.getData().keySet().forEach(ManifestsTest::assertKnownVariable);
        container.getEnv().stream().map(EnvVar::getName).forEach(ManifestsTest::assertKnownVariable);
        assertThat(container.getEnvFrom().get(0).getConfigMapRef().getName())
                .isEqualTo(configMap.getMetadata().getName());
        for (EnvVar variable : container.getEnv()) {
            if (variable.getValueFrom() != null) {
                assertThat(variable.getValueFrom().getSecretKeyRef().getName())
                        .isEqualTo(secretExample.getMetadata().getName());
                assertThat(secretExample.getStringData()).containsKey(variable.getValueFrom().getSecretKeyRef()
                        .getKey());
            }
        }
        // The JWT key is mounted where MP_JWT_VERIFY_PUBLICKEY_LOCATION looks, from a key the secret has.
        var volume = deployment.getSpec().getTemplate().getSpec().getVolumes().stream()
                .filter(v -> v.getSecret() != null).findFirst().orElseThrow();
        String mount = container.getVolumeMounts().stream().filter(m -> m.getName().equals(volume.getName()))
                .findFirst().orElseThrow().getMountPath();
        assertThat(configMap.getData().get("MP_JWT_VERIFY_PUBLICKEY_LOCATION"))
                .isEqualTo(mount + "/" + volume.getSecret().getItems().get(0).getPath());
        assertThat(secretExample.getStringData()).containsKey(volume.getSecret().getItems().get(0).getKey());
    }

    @Test
    void theMigrationJobRunsTheSameImageInInitAndExitModeWithTheOwnersCredentialsOnly() {
        var pod = migrationJob.getSpec().getTemplate().getSpec();
        Container migrate = pod.getContainers().get(0);
        assertThat(migrate.getImage()).isEqualTo(pulseContainer().getImage());
        assertThat(pod.getRestartPolicy()).isEqualTo("Never");
        assertThat(pod.getSecurityContext()).isEqualTo(deployment.getSpec().getTemplate().getSpec()
                .getSecurityContext());
        assertThat(migrate.getSecurityContext()).isEqualTo(pulseContainer().getSecurityContext());
        Map<String, EnvVar> env = new HashMap<>();
        migrate.getEnv().forEach(variable -> env.put(variable.getName(), variable));
        env.keySet().forEach(ManifestsTest::assertKnownVariable);
        assertThat(env.get("QUARKUS_INIT_AND_EXIT").getValue()).isEqualTo("true");
        assertThat(env.get("QUARKUS_FLYWAY_MIGRATIONS_MIGRATE_AT_START").getValue()).isEqualTo("true");
        // The gateway itself never migrates, and the Job migrates the database the gateway reads.
        assertThat(prodConfig().getOptionalValue("quarkus.flyway.migrations.migrate-at-start", Boolean.class))
                .isNotEqualTo(java.util.Optional.of(true));
        assertThat(env.get("QUARKUS_DATASOURCE_MIGRATIONS_JDBC_URL").getValue())
                .isEqualTo("jdbc:" + configMap.getData().get("QUARKUS_DATASOURCE_REACTIVE_URL"));
        // Owner credentials come from a Secret of their own, which the Deployment never references.
        for (String variable : List.of("QUARKUS_DATASOURCE_MIGRATIONS_USERNAME",
                "QUARKUS_DATASOURCE_MIGRATIONS_PASSWORD")) {
            var reference = env.get(variable).getValueFrom().getSecretKeyRef();
            assertThat(reference.getName()).isEqualTo(migrationSecretExample.getMetadata().getName());
            assertThat(migrationSecretExample.getStringData()).containsKey(reference.getKey());
        }
        assertThat(migrationSecretExample.getStringData().get("owner-username"))
                .isNotEqualTo(configMap.getData().get("QUARKUS_DATASOURCE_USERNAME"));
        assertThat(pulseContainer().getEnv()).noneMatch(variable -> variable.getValueFrom() != null
                && migrationSecretExample.getMetadata().getName()
                        .equals(variable.getValueFrom().getSecretKeyRef().getName()));
        assertThat(migrationJob.getMetadata().getLabels()).containsEntry("app.kubernetes.io/component", "migration");
        // Its pod accepts no connection and reaches PostgreSQL and DNS only.
        NetworkPolicy fence = (NetworkPolicy) manifests.get(K8S.resolve("base/migration-networkpolicy.yaml"));
        assertThat(migrationJob.getSpec().getTemplate().getMetadata().getLabels())
                .containsAllEntriesOf(fence.getSpec().getPodSelector().getMatchLabels());
        assertThat(fence.getSpec().getPolicyTypes()).containsExactlyInAnyOrder("Ingress", "Egress");
        assertThat(fence.getSpec().getIngress()).isEmpty();
        assertThat(fence.getSpec().getEgress()).flatExtracting(rule -> rule.getPorts())
                .extracting(port -> port.getPort().getIntVal()).containsOnly(5432, 53);
        // Grants go to the role the Deployment logs in as.
        assertThat(env.get("QUARKUS_FLYWAY_MIGRATIONS_PLACEHOLDERS_GATEWAY_ROLE").getValueFrom().getConfigMapKeyRef()
                .getKey()).isEqualTo("QUARKUS_DATASOURCE_USERNAME");
    }

    @Test
    void serviceMonitoringAutoscalingAndPoliciesPointAtThePods() {
        Map<String, String> podLabels = deployment.getSpec().getTemplate().getMetadata().getLabels();
        Service service = (Service) manifests.get(K8S.resolve("base/service.yaml"));
        assertThat(podLabels).containsAllEntriesOf(service.getSpec().getSelector());
        assertThat(service.getSpec().getPorts()).extracting(port -> port.getTargetPort().getStrVal())
                .containsExactly("http", "management");

        ServiceMonitor monitor = (ServiceMonitor) manifests.get(K8S.resolve("base/servicemonitor.yaml"));
        assertThat(service.getMetadata().getLabels()).containsAllEntriesOf(monitor.getSpec().getSelector()
                .getMatchLabels());
        assertThat(monitor.getSpec().getEndpoints().get(0).getPort()).isEqualTo("management");
        String metricsPath = monitor.getSpec().getEndpoints().get(0).getPath();
        assertThat(Management.get(metricsPath).then().statusCode(200).extract().asString())
                .contains("pulse_connections_active");
        get(metricsPath).then().statusCode(404);

        HorizontalPodAutoscaler hpa = (HorizontalPodAutoscaler) manifests.get(K8S.resolve("base/hpa.yaml"));
        assertThat(hpa.getSpec().getScaleTargetRef().getKind()).isEqualTo("Deployment");
        assertThat(hpa.getSpec().getScaleTargetRef().getName()).isEqualTo(deployment.getMetadata().getName());
        assertThat(hpa.getSpec().getMinReplicas()).isGreaterThanOrEqualTo(2);

        PodDisruptionBudget pdb = (PodDisruptionBudget) manifests.get(K8S.resolve("base/pdb.yaml"));
        assertThat(podLabels).containsAllEntriesOf(pdb.getSpec().getSelector().getMatchLabels());

        NetworkPolicy policy = (NetworkPolicy) manifests.get(K8S.resolve("base/networkpolicy.yaml"));
        assertThat(podLabels).containsAllEntriesOf(policy.getSpec().getPodSelector().getMatchLabels());
        // Clients' port from anywhere the ingress is; the management port only from the monitoring namespace.
        var clients = policy.getSpec().getIngress().get(0);
        assertThat(clients.getFrom()).isEmpty();
        assertThat(clients.getPorts()).extracting(port -> port.getPort().getIntVal())
                .containsExactly(containerPort("http"));
        var monitoring = policy.getSpec().getIngress().get(1);
        assertThat(monitoring.getPorts()).extracting(port -> port.getPort().getIntVal())
                .containsExactly(containerPort("management"));
        assertThat(monitoring.getFrom()).hasSize(1);
        assertThat(monitoring.getFrom().get(0).getNamespaceSelector().getMatchLabels())
                .containsEntry("kubernetes.io/metadata.name", "monitoring");
        assertThat(policy.getSpec().getIngress()).hasSize(2);
    }

    private static int containerPort(String name) {
        return pulseContainer().getPorts().stream().filter(port -> name.equals(port.getName())).findFirst()
                .orElseThrow().getContainerPort();
    }

    private static Container pulseContainer() {
        return deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
    }

    private static List<Probe> probes(Container container) {
        return Stream.of(container.getLivenessProbe(), container.getReadinessProbe(), container.getStartupProbe())
                .filter(probe -> probe != null).toList();
    }

    private static void assertProbeAnswers(Probe probe) {
        HTTPGetAction http = probe.getHttpGet();
        assertThat(http.getPort().getStrVal()).isEqualTo("management");
        assertThat(HEALTH_PATHS).contains(http.getPath());
        Management.get(http.getPath()).then().statusCode(200);
        get(http.getPath()).then().statusCode(404);
    }

    /** An environment variable Pulse reads: the environment form of a property that exists. */
    private static void assertKnownVariable(String name) {
        if (IMAGE_VARIABLES.contains(name)) {
            return;
        }
        assertThat(knownProperties().stream().map(ManifestsTest::environmentName)).as("a property for " + name)
                .contains(name);
    }

    private static Set<String> knownProperties;

    /** Every pulse.* property (from the PulseConfig interface) and every property the configuration has a value for. */
    private static synchronized Set<String> knownProperties() {
        if (knownProperties == null) {
            Set<String> names = new HashSet<>();
            collect(PulseConfig.class, "pulse", names);
            for (String name : config().getPropertyNames()) {
                names.add(name.startsWith("%") ? name.substring(name.indexOf('.') + 1) : name);
            }
            knownProperties = names;
        }
        return knownProperties;
    }

    private static void collect(Class<?> mapping, String prefix, Set<String> names) {
        for (Method method : mapping.getDeclaredMethods()) {
            if (method.getParameterCount() > 0 || Modifier.isStatic(method.getModifiers())) {
                continue;
            }
            String name = prefix + "." + method.getName().replaceAll("([a-z0-9])([A-Z])", "$1-$2")
                    .toLowerCase(Locale.ROOT);
            if (method.getReturnType().isInterface() && method.getReturnType().getEnclosingClass() == PulseConfig.class) {
                collect(method.getReturnType(), name, names);
            } else {
                names.add(name);
            }
        }
    }

    /** The MicroProfile Config environment-variable form: non-alphanumerics to underscores, upper case. */
    private static String environmentName(String property) {
        return property.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
    }

    private static Config config() {
        return ConfigProvider.getConfig();
    }

    /** The configuration as the deployed (prod-profile) application sees it; the test profile moves the ports. */
    private static Config prodConfig() {
        try {
            return new SmallRyeConfigBuilder().withProfile("prod").withSources(new PropertiesConfigSource(
                    ManifestsTest.class.getClassLoader().getResource("application.properties"), 250)).build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static HasMetadata typed(Path file) {
        try {
            ObjectNode tree = (ObjectNode) YAML.readTree(file.toFile());
            Class<? extends HasMetadata> type = KINDS.get(tree.path("kind").asText());
            assertThat(type).as(file + ": kind " + tree.path("kind")).isNotNull();
            return YAML.treeToValue(tree, type);
        } catch (IOException e) {
            throw new UncheckedIOException(file.toString(), e);
        }
    }

    /**
     * Paths of fields the model did not recognise: the fabric8 classes keep them in {@code additionalProperties}
     * instead of failing, which would let a misspelt key (say {@code timeoutSecond}) through.
     */
    private static List<String> unknownFields(Object node, String path) {
        List<String> unknown = new ArrayList<>();
        if (node == null) {
            return unknown;
        }
        if (node instanceof Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                unknown.addAll(unknownFields(item, path + "[" + i++ + "]"));
            }
            return unknown;
        }
        if (node instanceof Map<?, ?> map) {
            map.forEach((key, value) -> unknown.addAll(unknownFields(value, path + "." + key)));
            return unknown;
        }
        if (!node.getClass().getName().startsWith("io.fabric8.")) {
            return unknown;
        }
        for (Method getter : node.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || !getter.getName().startsWith("get")
                    || getter.getDeclaringClass() == Object.class) {
                continue;
            }
            try {
                Object value = getter.invoke(node);
                if (getter.getName().equals("getAdditionalProperties")) {
                    ((Map<?, ?>) value).keySet().forEach(key -> unknown.add(path + "." + key));
                } else {
                    unknown.addAll(unknownFields(value, path + "." + getter.getName().substring(3)));
                }
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
        return unknown;
    }
}
