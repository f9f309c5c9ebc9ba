package dev.pulse.gateway.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import dev.pulse.gateway.registry.ConnectionRegistry;
import dev.pulse.gateway.session.GatewaySession;
import dev.pulse.gateway.support.Broadcasts;
import dev.pulse.gateway.support.Endpoints;
import dev.pulse.gateway.support.LocalStack;
import dev.pulse.gateway.support.Stack;
import dev.pulse.gateway.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.websockets.next.CloseReason;

/**
 * The dashboard at {@code /} in headless Chromium (Debian's package, driven through its chromedriver; both installed
 * by {@code src/scripts/stack.sh up test}): connect with a token, watch a device and see its value change as points
 * reach InfluxDB, see an alert appear after an INSERT, see an event arrive after {@code POST /ws/broadcast}, see
 * the tenant's statistics, and come back by itself after the server closes the connection with a reconnect hint. Screenshots (desktop and phone size) are kept in {@code target/} as artifacts.
 */
@QuarkusTest
class DashboardBrowserTest {

    private static final Duration WAIT = Duration.ofSeconds(15);
    private static WebDriver browser;

    @Inject
    ConnectionRegistry registry;

    @BeforeAll
    static void openBrowser() {
        LocalStack.ensureUp();
        ChromeOptions options = new ChromeOptions().setBinary(executable("chromium"))
                .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1360,1000");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(executable("chromedriver"))).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
    }

    @AfterAll
    static void closeBrowser() {
        if (browser != null) {
            browser.quit();
        }
    }

    @Test
    void aUserSeesTelemetryAlertsAndEventsArriveLive() throws IOException {
        String tenant = Tokens.newTenant();
        browser.get("http://localhost:" + Endpoints.port() + "/");
        WebDriverWait wait = new WebDriverWait(browser, WAIT);

        browser.findElement(By.id("token")).sendKeys(Tokens.sign(Tokens.claims(tenant, "customer_admin")));
        browser.findElement(By.id("connect")).click();
        wait.until(ExpectedConditions.attributeToBe(By.id("state"), "data-state", "connected"));

        // A device: its card shows each new value as the point reaches InfluxDB.
        browser.findElement(By.id("device-id")).sendKeys("dev-42\n");
        By temperature = By.cssSelector("[data-device='dev-42'] .temp");
        wait.until(ExpectedConditions.presenceOfElementLocated(temperature));
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        Stack.writeInflux(point(tenant, 21.5, now.minusSeconds(1)));
        wait.until(ExpectedConditions.textToBe(temperature, "21.5 °C"));
        Stack.writeInflux(point(tenant, 23.25, now));
        wait.until(ExpectedConditions.textToBe(temperature, "23.3 °C"));

        // An alert inserted in PostgreSQL appears in the open-alerts panel.
        Stack.insertAlert(tenant, "dev-42", "HIGH_TEMP", "OPEN", "Too hot in the server room");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("alerts"), "Too hot in the server room"));
        assertThat(browser.findElement(By.id("alert-count")).getText()).isEqualTo("1");

        // An event published by a backend to a room the page joined appears in the event log.
        WebElement room = browser.findElement(By.id("room"));
        room.clear();
        room.sendKeys("ops\n");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("rooms"), "ops"));
        wait.until(driver -> Broadcasts.publish(tenant,
                "{\"event_type\":\"deploy_finished\",\"room\":\"ops\",\"data\":{\"version\":\"1.2.3\"}}") == 1);
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("events"), "deploy_finished"));
        assertThat(browser.findElement(By.id("events")).getText()).contains("1.2.3");

        // The statistics panel shows this tenant's figures only: one connection.
        wait.until(ExpectedConditions.textToBe(By.cssSelector("[data-stat='active_connections']"), "1"));

        // The server goes away with a reconnect hint: the page shows it, waits, reconnects and resubscribes.
        GatewaySession first = registry.tenantSessions(tenant).iterator().next();
        first.connection().close(new CloseReason(1001, "Server restarting; reconnect in 1500 ms")).await()
                .atMost(WAIT);
        wait.until(ExpectedConditions.attributeToBe(By.id("state"), "data-state", "reconnecting"));
        wait.until(ExpectedConditions.attributeToBe(By.id("state"), "data-state", "connected"));
        wait.until(driver -> registry.tenantSessions(tenant).stream().anyMatch(s -> !s.id().equals(first.id())));
        Stack.writeInflux(point(tenant, 24.5, Instant.now().truncatedTo(ChronoUnit.MILLIS)));
        wait.until(ExpectedConditions.textToBe(temperature, "24.5 °C"));

        screenshot("dashboard.png");
        browser.manage().window().setSize(new Dimension(390, 844));
        screenshot("dashboard-phone.png");
        // Nothing overflows sideways on a phone-sized screen.
        Object overflow = ((org.openqa.selenium.JavascriptExecutor) browser)
                .executeScript("return document.documentElement.scrollWidth - window.innerWidth;");
        assertThat(((Number) overflow).intValue()).isLessThanOrEqualTo(0);
    }

    private static String point(String tenant, double temperature, Instant time) {
        return "telemetry,tenant_id=" + Stack.tag(tenant) + ",device_id=dev-42 temperature=" + temperature
                + ",humidity=40,battery=80i,online=true,status=\"ok\" " + Stack.nanos(time);
    }

    private static void screenshot(String name) throws IOException {
        File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Path target = LocalStack.projectRoot().resolve("target").resolve(name);
        Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
    }

    private static String executable(String name) {
        for (String dir : System.getenv("PATH").split(File.pathSeparator)) {
            File candidate = new File(dir, name);
            if (candidate.canExecute()) {
                return candidate.getPath();
            }
        }
        throw new IllegalStateException(name + " is not installed: run src/scripts/stack.sh up test");
    }
}
