package io.regent.gateway.it;

import static io.regent.testkit.stack.ControlPlane.CONTROL_ROLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.regent.testkit.browser.Browser;
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
import org.junit.jupiter.api.extension.RegisterExtension;
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

    private static final String PASSWORD = SharedStack.PASSWORD;
    private static final Path SCREENSHOTS = Path.of("target", "screenshots");

    @RegisterExtension
    static final SharedStack.Use STACK = new SharedStack.Use();

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
        plane = STACK.get().plane;
        gateway = STACK.get().gateway;
        failover = STACK.get().failover;
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

    /** Its clusters go; the shared stack stays for the next class. */
    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable closeable : new AutoCloseable[] {registered, registeredMaria, pg, maria}) {
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
        // what a viewer may not do is left out, not shown as "null"
        assertThat(text(By.id("main"))).doesNotContainPattern("(?m)^null$");
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
        assertThat(text(By.id("main"))).doesNotContainPattern("(?m)^null$");
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

    /**
     * An admin registers a running cluster through the form - the API's validation messages appear next to the
     * fields they are about - sees it go healthy, changes its policy and a node, and removes it (only once it is
     * in maintenance: the API's refusal is shown first).
     */
    @Test
    @Order(4)
    void anAdminRegistersAClusterThroughTheFormChangesAndRemovesIt() throws Exception {
        try (PostgresCluster adm = PostgresCluster.builder().name("adm").nodes(2).controlRole(CONTROL_ROLE).start()) {
            try {
                openClusterAs(SharedStack.ADMIN, "dash");
                browser.open(gateway.url() + "/#/");
                click(By.cssSelector("a[data-action=register-cluster]"));
                WebElement form = waitFor(By.cssSelector("form[aria-label='Register a cluster']"));
                type(form, "id", "Adm!");
                type(form, "nodes[0].name", "adm-1");
                type(form, "nodes[0].host", "127.0.0.1");
                type(form, "nodes[0].port", "70000");
                click(By.cssSelector("button[data-action=add-node-row]"));
                type(form, "nodes[1].name", "adm-2");
                type(form, "nodes[1].host", "127.0.0.1");
                type(form, "nodes[1].port", String.valueOf(adm.node("adm-2").port()));
                click(By.cssSelector("button[data-action=register]"));

                // each message of the API next to its own field, the fields marked invalid
                waitFor(By.cssSelector(".field-error[data-error-for='nodes[0].port']"));
                assertThat(errorNextTo(form, "nodes[0].port")).isEqualTo("must be less than or equal to 65535");
                assertThat(errorNextTo(form, "id")).contains("lower-case letters");
                assertThat(form.findElement(By.name("id")).getAttribute("aria-invalid")).isEqualTo("true");
                assertThat(form.findElements(By.cssSelector(".field-error"))).hasSize(2);
                screenshot("admin-register-field-errors");

                retype(form, "id", "adm");
                type(form, "displayName", "Admin test");
                retype(form, "nodes[0].port", String.valueOf(adm.node("adm-1").port()));
                click(By.cssSelector("button[data-action=register]"));
                waitUntil(() -> browser.driver().getCurrentUrl().endsWith("#/clusters/adm"));
                waitUntil(Duration.ofSeconds(60), () -> text(By.cssSelector("h1 [data-test=state]")).equals("healthy"));
                assertThat(text(By.cssSelector("[data-test=leader]"))).isEqualTo("adm-1");
                screenshot("admin-registered-healthy");

                // the settings: a refused policy value, then a good one; a node's zone
                click(By.cssSelector("a[data-action=settings]"));
                WebElement settings = waitFor(By.cssSelector("form[aria-label='Cluster settings']"));
                retype(settings, "failoverPolicy.detectionWindowMillis", "100");
                click(By.cssSelector("button[data-action=save-settings]"));
                waitFor(By.cssSelector(".field-error[data-error-for='failoverPolicy.detectionWindowMillis']"));
                assertThat(errorNextTo(settings, "failoverPolicy.detectionWindowMillis"))
                        .isEqualTo("must be greater than or equal to 500");
                screenshot("admin-settings-field-error");
                retype(settings, "failoverPolicy.detectionWindowMillis", "4000");
                click(By.cssSelector("button[data-action=save-settings]"));
                waitUntil(() -> text(By.id("notice")).contains("Settings of adm saved."));
                assertThat(settings.findElements(By.cssSelector(".field-error"))).isEmpty();
                WebElement zone = waitFor(By.id("node-adm-2-zone"));
                zone.clear();
                zone.sendKeys("zone-b");
                click(By.cssSelector("button[data-action=save-node][data-node=adm-2]"));
                waitUntil(() -> text(By.id("notice")).contains("adm-2 saved."));
                await().atMost(Duration.ofSeconds(15)).until(() -> plane.topology("adm").nodes().stream()
                        .anyMatch(n -> n.name().equals("adm-2") && "zone-b".equals(n.zone())));
                assertThat(plane.topology("adm").nodes()).hasSize(2);

                // removal needs maintenance: refused first, with the API's reason
                click(By.cssSelector("button[data-action=remove-cluster]"));
                waitFor(By.id("confirm")).findElement(By.id("confirm-ok")).click();
                waitUntil(() -> text(By.id("notice")).contains("Removing adm failed: Cluster 'adm' is not in "
                        + "maintenance"));
                screenshot("admin-settings");
                browser.open(gateway.url() + "/#/clusters/adm");
                click(By.cssSelector("button[data-action=maintenance]"));
                waitFor(By.id("confirm")).findElement(By.id("confirm-ok")).click();
                waitFor(By.cssSelector("[data-test=maintenance]"));
                click(By.cssSelector("a[data-action=settings]"));
                click(By.cssSelector("button[data-action=remove-cluster]"));
                waitFor(By.id("confirm")).findElement(By.id("confirm-ok")).click();
                waitUntil(() -> browser.driver().getCurrentUrl().endsWith("#/"));
                waitUntil(() -> browser.driver().findElements(By.cssSelector("tr[data-cluster=adm]")).isEmpty());
                assertThat(browser.driver().findElements(By.cssSelector("tr[data-cluster=dash]"))).hasSize(1);
            } finally {
                removeIfRegistered("adm"); // before its servers stop, whatever the test got to
            }
        }
    }

    /**
     * Lag in MariaDB's unit: a follower whose applier stopped while 100 transactions arrived is past the gateway's
     * 50-transaction limit - its follower routing check leaves it out of the read pool, and the dashboard badge
     * says so, in transactions; a check asking 200 keeps it in. Applying again clears both.
     */
    @Test
    @Order(5)
    void aMariaDbFollowerAHundredTransactionsBehindIsFlaggedAsTheReadPoolLeavesItOut() throws Exception {
        var leader = maria.nodes().get(0);
        var follower = maria.nodes().get(1);
        leader.execute("CREATE DATABASE IF NOT EXISTS lagging");
        leader.execute("CREATE TABLE IF NOT EXISTS lagging.t (id INT PRIMARY KEY) ENGINE=InnoDB");
        maria.awaitCaughtUp(Duration.ofSeconds(20));
        follower.execute("STOP SLAVE SQL_THREAD");
        try {
            for (int i = 0; i < 100; i++) {
                leader.execute("INSERT INTO lagging.t VALUES (" + i + ")"); // one transaction each
            }
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                    .until(() -> route("/route/maria/maria-2/follower") == 503);
            assertThat(route("/route/maria/maria-2/follower?max-lag-transactions=200")).isEqualTo(200);
            openClusterAs(SharedStack.VIEWER, "maria");
            waitUntil(() -> text(By.cssSelector("h1")).startsWith("maria"));
            waitUntil(() -> text(By.cssSelector("tr[data-node=maria-2] [data-test=past-lag-limit]"))
                    .equals("over " + SharedStack.MARIADB_LAG_LIMIT + " trx"));
            // 100 and the agents' heartbeats since (each probe of a writable MariaDB leader commits one), once a
            // summary newer than the inserts arrived
            waitUntil(() -> java.util.regex.Pattern.compile("[1-9][0-9]{2} trx")
                    .matcher(text(By.cssSelector("tr[data-node=maria-2]"))).find());
            waitUntil(() -> text(By.cssSelector("h1 [data-test=state]")).equals("degraded"));
            screenshot("cluster-mariadb-lagging");
        } finally {
            follower.execute("START SLAVE SQL_THREAD");
        }
        waitUntil(Duration.ofSeconds(30), () -> browser.driver().findElements(
                By.cssSelector("tr[data-node=maria-2] [data-test=past-lag-limit]")).isEmpty());
        assertThat(route("/route/maria/maria-2/follower")).isEqualTo(200);
    }

    /**
     * The lag chart after a reload starts from the gateway's record of the last 10 minutes (one point per 2 s per
     * follower), not from nothing: right after the reload it holds as many points as before it, more than the live
     * feed could have brought in that time (a summary per node every 5 s at most).
     */
    @Test
    @Order(6)
    void theLagChartSurvivesAReload() throws Exception {
        openClusterAs(SharedStack.VIEWER, "dash");
        waitUntil(() -> text(By.cssSelector("h1")).startsWith("dash"));
        waitUntil(Duration.ofSeconds(60), () -> chartPoints() >= 20);
        int before = chartPoints();
        browser.driver().navigate().refresh();
        long reloaded = System.nanoTime();
        waitUntil(() -> text(By.cssSelector("h1")).startsWith("dash"));
        waitUntil(() -> chartPoints() >= before);
        long millis = (System.nanoTime() - reloaded) / 1_000_000;
        assertThat(millis).as("the chart had its %d points again %d ms after the reload", before, millis)
                .isLessThan(5_000);
        screenshot("cluster-lag-after-reload");
    }

    /** The most points any follower's line of the lag chart has. */
    private int chartPoints() {
        Object count = browser.script("return Math.max(0, ...[...document.querySelectorAll('svg.chart polyline')]"
                + ".map(l => (l.getAttribute('points') || '').split(' ').filter(p => p).length));");
        return count == null ? 0 : ((Number) count).intValue();
    }

    /** The status of one of the gateway's routing checks. */
    private static int route(String path) throws Exception {
        return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                gateway.url().resolve(path)).timeout(Duration.ofSeconds(5)).build(),
                java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static void removeIfRegistered(String cluster) {
        try {
            plane.registryAdminCall("PUT", "/api/v1/clusters/" + cluster + "/maintenance", Map.of("enabled", true,
                    "reason", "test cleanup"), 200);
            plane.registryAdminCall("DELETE", "/api/v1/clusters/" + cluster, null, 204);
        } catch (RuntimeException alreadyGone) {
            // the test removed it itself (or never got to register it)
        }
    }

    /** The message the page shows right after the input of {@code field}. */
    private String errorNextTo(WebElement form, String field) {
        WebElement input = form.findElement(By.name(field));
        WebElement next = input.findElement(By.xpath("following-sibling::*[1]"));
        assertThat(next.getAttribute("class")).isEqualTo("field-error");
        assertThat(input.getAttribute("aria-describedby")).isEqualTo(next.getAttribute("id"));
        return next.getText();
    }

    private static void type(WebElement form, String field, String text) {
        form.findElement(By.name(field)).sendKeys(text);
    }

    private static void retype(WebElement form, String field, String text) {
        WebElement input = form.findElement(By.name(field));
        input.clear();
        input.sendKeys(text);
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
