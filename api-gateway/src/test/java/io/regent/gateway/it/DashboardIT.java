package io.regent.gateway.it;

import static io.regent.testkit.stack.ControlPlane.CONTROL_ROLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.regent.testkit.FreePorts;
import io.regent.testkit.Testkit;
import io.regent.testkit.keycloak.Keycloak;
import io.regent.testkit.postgres.PostgresCluster;
import io.regent.testkit.quarkus.QuarkusService;
import io.regent.testkit.stack.ControlPlane;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.ElementClickInterceptedException;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real headless Chromium (the system's {@code chromium} and {@code chromedriver})
 * against the real gateway, registry, Kafka, Keycloak, three agents and a failover-service over a
 * real PostgreSQL cluster: a viewer signs in on Keycloak's page and sees the cluster without any
 * enabled action; an operator switches over and the page shows the new leader without a reload;
 * a kill -9 of the leader appears live with its phases. Screenshots go to {@code target/screenshots}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardIT {

    private static final String PASSWORD = "pw-" + Testkit.randomSecret();
    private static final Path SCREENSHOTS = Path.of("target", "screenshots");

    private static Keycloak keycloak;
    private static ControlPlane plane;
    private static QuarkusService gateway;
    private static QuarkusService failover;
    private static PostgresCluster pg;
    private static AutoCloseable registered;

    private WebDriver browser;

    @BeforeAll
    static void start() throws Exception {
        int port = FreePorts.next();
        keycloak = Keycloak.start("http://127.0.0.1:" + port);
        keycloak.createUser("vera", PASSWORD, "regent-viewer");
        keycloak.createUser("olivia", PASSWORD, "regent-operator");
        plane = ControlPlane.start(3, keycloak);
        gateway = plane.startGateway("gateway", port, keycloak.issuer());
        failover = plane.startFailover("failover-ui", "group-ui", Map.of());
        pg = PostgresCluster.builder().name("dash").nodes(3).controlRole(CONTROL_ROLE).start();
        registered = plane.register(pg, Map.of());
        await().atMost(Duration.ofSeconds(30)).until(() -> plane.ownedBy(failover).contains("dash"));
        await().atMost(Duration.ofSeconds(30)).until(() -> plane.seenReachableByAll("dash", "dash-2")
                && plane.seenReachableByAll("dash", "dash-3"));
        Files.createDirectories(SCREENSHOTS);
    }

    @AfterAll
    static void stop() throws Exception {
        if (registered != null) {
            registered.close();
        }
        if (plane != null) {
            plane.stopFailoverInstances();
        }
        for (AutoCloseable closeable : new AutoCloseable[] {pg, gateway, plane, keycloak}) {
            if (closeable != null) {
                closeable.close();
            }
        }
    }

    @AfterEach
    void closeBrowser() {
        if (browser != null) {
            browser.quit();
        }
    }

    @Test
    @Order(1)
    void aViewerSeesTheClustersAndNoEnabledAction() throws Exception {
        browser = chromium();
        browser.get(gateway.url().toString());
        // signed out: the page offers the sign-in, not an error
        WebElement signIn = waitFor(By.cssSelector("[data-test=sign-in]"));
        signIn.click();
        signInOnKeycloak("vera");
        waitUntil(() -> text(By.cssSelector("[data-test=user]")).startsWith("vera"));
        waitUntil(() -> text(By.cssSelector("tr[data-cluster=dash] [data-test=leader]")).equals("dash-1"));
        waitUntil(() -> text(By.cssSelector("tr[data-cluster=dash] [data-test=state]")).equals("healthy"));
        waitUntil(() -> text(By.id("feed")).equals("Live"));
        screenshot("overview");
        browser.manage().window().setSize(new Dimension(820, 1100)); // a tablet
        screenshot("overview-tablet");
        browser.manage().window().setSize(new Dimension(1280, 1000));

        click(By.linkText("dash"));
        waitUntil(() -> text(By.cssSelector("h1")).startsWith("dash"));
        waitFor(By.cssSelector("[data-test=read-only]"));
        assertThat(browser.findElements(By.cssSelector("button[data-action]"))).isEmpty();
        waitUntil(() -> browser.findElements(By.cssSelector("table[aria-label='Agent observations'] tbody tr")).size()
                >= 9); // three agents x three nodes
        assertThat(browser.findElements(By.cssSelector("table[aria-label=Nodes] tbody tr"))).hasSize(3);
        screenshot("cluster-viewer");
    }

    @Test
    @Order(2)
    void anOperatorSwitchesOverAndSeesAFailoverLive() throws Exception {
        browser = chromium();
        browser.get(gateway.url() + "/login");
        signInOnKeycloak("olivia");
        waitUntil(() -> text(By.cssSelector("[data-test=user]")).startsWith("olivia"));
        browser.get(gateway.url() + "/#/clusters/dash");
        waitUntil(() -> text(By.cssSelector("h1 [data-test=state]")).equals("healthy"));
        ((JavascriptExecutor) browser).executeScript("window.noReloadMarker = 'still-here';");

        // the switchover: a confirmation that states the consequence, then the new leader appears by itself
        click(By.cssSelector("button[data-action=switchover]"));
        WebElement dialog = waitFor(By.id("confirm"));
        assertThat(text(By.id("confirm-consequence"))).contains("Writes to dash pause");
        new Select(dialog.findElement(By.id("candidate"))).selectByValue("dash-2");
        dialog.findElement(By.id("confirm-ok")).click();
        waitUntil(Duration.ofSeconds(60), () -> text(By.cssSelector("p [data-test=leader]")).equals("dash-2"));
        waitUntil(() -> !browser.findElements(By.cssSelector("li[data-kind=SWITCHOVER][data-status=SUCCEEDED]"))
                .isEmpty());
        assertThat(marker()).as("no page reload").isEqualTo("still-here");
        screenshot("cluster-switchover");

        // kill -9 of the new leader: the failover shows up with its phases, live
        pg.node("dash-2").kill();
        waitUntil(Duration.ofSeconds(60), () -> !browser.findElements(By.cssSelector(
                "li[data-kind=FAILOVER][data-status=SUCCEEDED]")).isEmpty());
        @SuppressWarnings("unchecked") // read in one go: a live update may redraw the list at any moment
        List<String> phases = (List<String>) ((JavascriptExecutor) browser).executeScript("return [...document"
                + ".querySelectorAll('li[data-kind=FAILOVER][data-status=SUCCEEDED] [data-phase]')].map(e => e.dataset.phase);");
        assertThat(phases).contains("detected", "decided", "promoted", "repointed", "announced");
        waitUntil(() -> text(By.cssSelector("p [data-test=leader]")).equals("dash-3"));
        assertThat(marker()).as("no page reload").isEqualTo("still-here");
        screenshot("cluster-failover");
    }

    private void signInOnKeycloak(String user) {
        waitFor(By.id("username")).sendKeys(user);
        browser.findElement(By.id("password")).sendKeys(PASSWORD);
        browser.findElement(By.id("kc-login")).click();
    }

    private static WebDriver chromium() {
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(executable("chromedriver"))).usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions().setBinary(executable("chromium"))
                .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                        "--window-size=1280,1000", "--lang=en-US");
        return new ChromeDriver(service, options);
    }

    /** The Debian packages' binaries (.ci/run installs them). */
    private static String executable(String name) {
        for (String dir : List.of("/usr/bin", "/usr/lib/chromium")) {
            if (Files.isExecutable(Path.of(dir, name))) {
                return Path.of(dir, name).toString();
            }
        }
        throw new IllegalStateException(name + " is not installed: apt-get install chromium chromium-driver");
    }

    /** Clicks what {@code by} finds, again if a live update redrew it in between (as a person would). */
    private void click(By by) {
        new WebDriverWait(browser, Duration.ofSeconds(30)).ignoring(StaleElementReferenceException.class)
                .ignoring(ElementClickInterceptedException.class).until(d -> {
                    d.findElement(by).click();
                    return true;
                });
    }

    private Object marker() {
        return ((JavascriptExecutor) browser).executeScript("return window.noReloadMarker;");
    }

    private WebElement waitFor(By by) {
        return new WebDriverWait(browser, Duration.ofSeconds(30)).until(d -> {
            List<WebElement> found = d.findElements(by);
            return found.isEmpty() || !found.get(0).isDisplayed() ? null : found.get(0);
        });
    }

    private void waitUntil(java.util.function.BooleanSupplier condition) {
        waitUntil(Duration.ofSeconds(30), condition);
    }

    private void waitUntil(Duration timeout, java.util.function.BooleanSupplier condition) {
        new WebDriverWait(browser, timeout).ignoring(RuntimeException.class).until(d -> condition.getAsBoolean());
    }

    private String text(By by) {
        for (int attempt = 0; ; attempt++) {
            try {
                List<WebElement> found = browser.findElements(by);
                return found.isEmpty() ? "" : found.get(0).getText().strip();
            } catch (StaleElementReferenceException e) {
                if (attempt == 5) {
                    throw e; // redrawn five times in a row: something is wrong
                }
            }
        }
    }

    /** The whole page at the window's width (the window grows to the page's height for the picture). */
    private void screenshot(String name) throws IOException {
        Dimension window = browser.manage().window().getSize();
        long height = (Long) ((JavascriptExecutor) browser).executeScript("return document.documentElement.scrollHeight;");
        browser.manage().window().setSize(new Dimension(window.getWidth(), (int) Math.max(window.getHeight(), height + 120)));
        try {
            Files.write(SCREENSHOTS.resolve(name + ".png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
        } finally {
            browser.manage().window().setSize(window);
        }
    }
}
