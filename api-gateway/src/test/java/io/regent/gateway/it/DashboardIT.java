package io.regent.gateway.it;

import static io.regent.testkit.stack.ControlPlane.CONTROL_ROLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.regent.testkit.FreePorts;
import io.regent.testkit.SkewedClock;
import io.regent.testkit.Testkit;
import io.regent.testkit.browser.Browser;
import io.regent.testkit.keycloak.Keycloak;
import io.regent.testkit.mariadb.MariaDbCluster;
import io.regent.testkit.postgres.PostgresCluster;
import io.regent.testkit.quarkus.QuarkusService;
import io.regent.testkit.stack.ControlPlane;
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
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

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
    private static MariaDbCluster maria;
    private static AutoCloseable registeredMaria;

    private Browser browser;

    @BeforeAll
    static void start() throws Exception {
        int port = FreePorts.next();
        keycloak = Keycloak.start("http://127.0.0.1:" + port);
        keycloak.createUser("vera", PASSWORD, "regent-viewer");
        keycloak.createUser("olivia", PASSWORD, "regent-operator");
        plane = ControlPlane.start(3, keycloak);
        // a fourth agent on a machine whose clock runs 5 s behind: the dashboard flags it
        plane.startAgent("agent-skewed", "zone-skewed", SkewedClock.ahead(-5_000));
        gateway = plane.startGateway("gateway", port, keycloak.issuer());
        failover = plane.startFailover("failover-ui", "group-ui", Map.of());
        pg = PostgresCluster.builder().name("dash").nodes(3).controlRole(CONTROL_ROLE).start();
        // dash-2's own agent (node mode) rewinds it when an operator asks; automatic rejoin off, so only they do
        plane.startNodeAgent(pg, pg.node("dash-2"));
        registered = plane.register(pg, Map.of("autoRejoin", false));
        maria = MariaDbCluster.start("maria", 2, CONTROL_ROLE); // its monitoring user is the agents' login
        registeredMaria = plane.register(maria, Map.of());
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
        if (registeredMaria != null) {
            registeredMaria.close();
        }
        if (plane != null) {
            plane.stopFailoverInstances();
        }
        for (AutoCloseable closeable : new AutoCloseable[] {pg, maria, gateway, plane, keycloak}) {
            if (closeable != null) {
                closeable.close();
            }
        }
    }

    @AfterEach
    void closeBrowser() {
        if (browser != null) {
            browser.close();
        }
    }

    @Test
    @Order(1)
    void aViewerSeesTheClustersAndNoEnabledAction() throws Exception {
        browser = Browser.chromium(SCREENSHOTS);
        browser.open(gateway.url().toString());
        // signed out: the page offers the sign-in, not an error
        WebElement signIn = waitFor(By.cssSelector("[data-test=sign-in]"));
        signIn.click();
        signInOnKeycloak("vera");
        waitUntil(() -> text(By.cssSelector("[data-test=user]")).startsWith("vera"));
        waitUntil(() -> text(By.cssSelector("tr[data-cluster=dash] [data-test=leader]")).equals("dash-1"));
        waitUntil(() -> text(By.cssSelector("tr[data-cluster=dash] [data-test=state]")).equals("healthy"));
        waitUntil(() -> text(By.id("feed")).equals("Live"));
        screenshot("overview");
        browser.driver().manage().window().setSize(new Dimension(820, 1100)); // a tablet
        screenshot("overview-tablet");
        browser.driver().manage().window().setSize(new Dimension(1280, 1000));

        click(By.linkText("dash"));
        waitUntil(() -> text(By.cssSelector("h1")).startsWith("dash"));
        waitFor(By.cssSelector("[data-test=read-only]"));
        assertThat(browser.driver().findElements(By.cssSelector("button[data-action]"))).isEmpty();
        waitUntil(() -> browser.driver().findElements(By.cssSelector("table[aria-label='Agent observations'] tbody tr")).size()
                >= 12); // four agents x three nodes
        // the skewed agent's rows say so, the others' are in step (its probes are received 5 s "before" they started)
        waitUntil(() -> java.util.regex.Pattern.compile("agent-skewed \\(zone-skewed\\).*clock −5\\.[0-2] s")
                .matcher(text(By.cssSelector("table[aria-label='Agent observations'] tbody"))).results().count() == 3);
        assertThat(text(By.cssSelector("table[aria-label='Agent observations'] tbody"))).contains("in step")
                .doesNotContainPattern("agent-[123] \\(zone-[123]\\).*clock ");
        assertThat(browser.driver().findElements(By.cssSelector("table[aria-label=Nodes] tbody tr"))).hasSize(3);
        assertThat(text(By.cssSelector("table[aria-label=Nodes] thead"))).contains("WAL (current / replayed)");
        screenshot("cluster-viewer");

        // a MariaDB cluster: positions are GTIDs and lag is counted in transactions, not WAL bytes
        click(By.cssSelector("a[href='#/']"));
        click(By.linkText("maria"));
        waitUntil(() -> text(By.cssSelector("h1")).startsWith("maria"));
        waitUntil(() -> text(By.cssSelector("table[aria-label=Nodes] thead")).contains("GTID (binlog / applied)"));
        waitUntil(() -> text(By.cssSelector("tr[data-node=maria-2] [data-test=position]")).startsWith("GTID 0-…-"));
        waitUntil(() -> text(By.cssSelector("tr[data-node=maria-2]")).contains("0 trx"));
        screenshot("cluster-mariadb");
    }

    @Test
    @Order(2)
    void anOperatorSwitchesOverAndSeesAFailoverLive() throws Exception {
        openClusterAs("olivia", "dash");
        waitUntil(() -> text(By.cssSelector("h1 [data-test=state]")).equals("healthy"));
        browser.script("window.noReloadMarker = 'still-here';");

        // the switchover: a confirmation that states the consequence, then the new leader appears by itself
        click(By.cssSelector("button[data-action=switchover]"));
        WebElement dialog = waitFor(By.id("confirm"));
        assertThat(text(By.id("confirm-consequence"))).contains("Writes to dash pause");
        new Select(dialog.findElement(By.id("candidate"))).selectByValue("dash-2");
        dialog.findElement(By.id("confirm-ok")).click();
        waitUntil(Duration.ofSeconds(60), () -> text(By.cssSelector("p [data-test=leader]")).equals("dash-2"));
        waitUntil(() -> !browser.driver().findElements(By.cssSelector("li[data-kind=SWITCHOVER][data-status=SUCCEEDED]"))
                .isEmpty());
        assertThat(marker()).as("no page reload").isEqualTo("still-here");
        screenshot("cluster-switchover");

        // kill -9 of the new leader: the failover shows up with its phases, live
        pg.node("dash-2").kill();
        waitUntil(Duration.ofSeconds(60), () -> !browser.driver().findElements(By.cssSelector(
                "li[data-kind=FAILOVER][data-status=SUCCEEDED]")).isEmpty());
        @SuppressWarnings("unchecked") // read in one go: a live update may redraw the list at any moment
        List<String> phases = (List<String>) browser.script("return [...document"
                + ".querySelectorAll('li[data-kind=FAILOVER][data-status=SUCCEEDED] [data-phase]')].map(e => e.dataset.phase);");
        assertThat(phases).contains("detected", "decided", "promoted", "repointed", "announced");
        waitUntil(() -> text(By.cssSelector("p [data-test=leader]")).equals("dash-3"));
        assertThat(marker()).as("no page reload").isEqualTo("still-here");
        screenshot("cluster-failover");
    }

    /**
     * After the failover of {@link #anOperatorSwitchesOverAndSeesAFailoverLive} the killed dash-2 needs a rejoin,
     * and automatic rejoin is off: the operator asks for it from its row, confirms, and sees its REJOIN operation
     * succeed and dash-2 turn follower, live.
     */
    @Test
    @Order(3)
    void anOperatorRejoinsAReplacedLeaderFromItsRow() throws Exception {
        openClusterAs("olivia", "dash");
        waitUntil(() -> text(By.cssSelector("tr[data-node=dash-2]")).contains("needs rejoin"));
        assertThat(browser.driver().findElements(By.cssSelector("tr[data-node=dash-3] button[data-action]")))
                .as("the leader's row offers no repair").isEmpty();
        screenshot("cluster-needs-rejoin");

        click(By.cssSelector("button[data-action=rejoin][data-node=dash-2]"));
        WebElement dialog = waitFor(By.id("confirm"));
        assertThat(text(By.id("confirm-consequence"))).contains("dash-2 is stopped, rewound onto dash-3's timeline");
        dialog.findElement(By.id("reason")).sendKeys("back after the drill");
        dialog.findElement(By.id("confirm-ok")).click();
        waitUntil(Duration.ofSeconds(90), () -> !browser.driver().findElements(By.cssSelector(
                "li[data-kind=REJOIN][data-status=SUCCEEDED]")).isEmpty());
        assertThat(text(By.cssSelector("li[data-kind=REJOIN][data-status=SUCCEEDED]")))
                .contains("by olivia").contains("rejoin of dash-2 requested by olivia (back after the drill)");
        waitUntil(Duration.ofSeconds(30), () -> !browser.driver().findElements(By.cssSelector(
                "tr[data-node=dash-2] .badge.role-FOLLOWER")).isEmpty());
        assertThat(pg.node("dash-2").isInRecovery()).isTrue();
        screenshot("cluster-rejoined");
    }

    /** A new browser, signed in on Keycloak's page as {@code user}, on the page of {@code cluster}. */
    private void openClusterAs(String user, String cluster) {
        browser = Browser.chromium(SCREENSHOTS);
        browser.open(gateway.url() + "/login");
        signInOnKeycloak(user);
        waitUntil(() -> text(By.cssSelector("[data-test=user]")).startsWith(user));
        browser.open(gateway.url() + "/#/clusters/" + cluster);
    }

    private void signInOnKeycloak(String user) {
        browser.signInOnKeycloak(user, PASSWORD);
    }

    private Object marker() {
        return browser.script("return window.noReloadMarker;");
    }

    private void click(By by) {
        browser.click(by);
    }

    private WebElement waitFor(By by) {
        return browser.waitFor(by);
    }

    private void waitUntil(java.util.function.BooleanSupplier condition) {
        browser.waitUntil(condition);
    }

    private void waitUntil(Duration timeout, java.util.function.BooleanSupplier condition) {
        browser.waitUntil(timeout, condition);
    }

    private String text(By by) {
        return browser.text(by);
    }

    private void screenshot(String name) {
        browser.screenshot(name);
    }
}
