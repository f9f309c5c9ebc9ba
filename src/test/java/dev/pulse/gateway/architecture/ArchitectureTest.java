package dev.pulse.gateway.architecture;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The package map, enforced: each package is one capability and dependencies only point down. A package loop, an
 * endpoint or REST resource reaching for a database or the registry's internals, meters that know Pulse's domain, or
 * a wire format that knows anything of Pulse fails the build.
 */
@AnalyzeClasses(packages = "dev.pulse.gateway", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    private static final String PULSE = "dev.pulse.gateway..";
    /** What of the registry a REST resource may read: its public figures, not its indexes. */
    private static final java.util.Set<String> REGISTRY_API = java.util.Set.of("ConnectionRegistry",
            "RegistryStatistics", "TenantStats");

    @ArchTest
    static final ArchRule noPackageLoops = slices().matching("dev.pulse.gateway.(*)..").should().beFreeOfCycles();

    @ArchTest
    static final ArchRule endpointsAndResourcesStayThin = noClasses()
            .that().haveSimpleNameEndingWith("Endpoint").and().resideInAPackage("dev.pulse.gateway.websocket..")
            .or().haveSimpleNameEndingWith("Resource").and().resideInAPackage("dev.pulse.gateway.api..")
            .should().dependOnClassesThat(resideInAnyPackage("io.vertx.sqlclient..", "io.vertx.mutiny.sqlclient..",
                    "io.vertx.pgclient..", "io.vertx.mutiny.pgclient..", "com.influxdb..", "dev.pulse.gateway.alerts..",
                    "dev.pulse.gateway.telemetry..", "dev.pulse.gateway.cluster..", "dev.pulse.gateway.session..")
                    .or(resideInAPackage("dev.pulse.gateway.registry..")
                            .and(not(com.tngtech.archunit.base.DescribedPredicate.describe("the registry's API",
                                    javaClass -> REGISTRY_API.contains(javaClass.getSimpleName()))))))
            .because("endpoints and REST resources only say what they serve; databases and registry internals are"
                    + " the capabilities' business");

    @ArchTest
    static final ArchRule observabilityIsMetersOnly = noClasses().that().resideInAPackage("dev.pulse.gateway.observability..")
            .should().dependOnClassesThat(resideInAPackage(PULSE)
                    .and(not(resideInAnyPackage("dev.pulse.gateway.observability..", "dev.pulse.gateway.config.."))))
            .because("meters are a vocabulary every capability uses; they know nothing of the capabilities");

    @ArchTest
    static final ArchRule protocolKnowsNothingOfPulse = noClasses().that().resideInAPackage("dev.pulse.gateway.protocol..")
            .should().dependOnClassesThat(resideInAPackage(PULSE)
                    .and(not(resideInAPackage("dev.pulse.gateway.protocol.."))))
            .because("the wire format is defined in one place and depends on nothing else of Pulse");

    @ArchTest
    static final ArchRule configurationThroughPulseConfigOnly = noClasses()
            .that().resideInAPackage(PULSE).and().doNotHaveSimpleName("ProductionSettingsCheck")
            .should().callMethod(org.eclipse.microprofile.config.ConfigProvider.class, "getConfig")
            .because("settings are read through PulseConfig, so every one is documented in one place");
}
