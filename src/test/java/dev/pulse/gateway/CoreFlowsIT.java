package dev.pulse.gateway;

import dev.pulse.gateway.support.PackagedStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;

/**
 * {@link CoreFlowsTest} against the packaged application in the prod profile: the JVM jar in a plain build, the
 * native executable with {@code -Pnative}.
 */
@QuarkusIntegrationTest
@QuarkusTestResource(value = PackagedStack.class, restrictToAnnotatedClass = true)
class CoreFlowsIT extends CoreFlowsTest {
}
