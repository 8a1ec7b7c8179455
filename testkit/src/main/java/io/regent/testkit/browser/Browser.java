package io.regent.testkit.browser;

import io.regent.testkit.SystemPackages;
import io.regent.testkit.Testkit;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.ElementClickInterceptedException;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A real headless Chromium (the Debian packages {@code chromium} and {@code chromium-driver}, which
 * {@code .ci/run} installs) driven through Selenium, with the waits a live page needs: the dashboard
 * redraws on every event, so reads retry stale elements and clicks retry until they land. Selenium
 * is a {@code provided} dependency: modules that use this class add it to their test classpath.
 */
public final class Browser implements AutoCloseable {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private final WebDriver driver;
    private final Path screenshots;
    private final Path profile;
    private int timeouts;

    private Browser(WebDriver driver, Path screenshots, Path profile) {
        this.driver = driver;
        this.screenshots = screenshots;
        this.profile = profile;
    }

    /**
     * A new headless Chromium, 1280x1000, saving screenshots to {@code screenshots}. Its profile lives
     * in the testkit's run directory and is deleted at {@link #close()} (chromedriver's own temporary
     * profiles stayed behind in /tmp, one per browser).
     */
    public static Browser chromium(Path screenshots) {
        SystemPackages.machine().ensure(SystemPackages.BROWSER);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(executable("chromedriver"))).usingAnyFreePort().build();
        Path profile = Testkit.get().newDirectory("chromium");
        ChromeOptions options = new ChromeOptions().setBinary(executable("chromium"))
                .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                        "--window-size=1280,1000", "--lang=en-US", "--user-data-dir=" + profile);
        try {
            Files.createDirectories(screenshots);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            return new Browser(new ChromeDriver(service, options), screenshots, profile);
        } catch (RuntimeException e) {
            Testkit.deleteRecursively(profile);
            throw e;
        }
    }

    /** The Debian packages' binaries. */
    private static String executable(String name) {
        for (String dir : List.of("/usr/bin", "/usr/lib/chromium")) {
            if (Files.isExecutable(Path.of(dir, name))) {
                return Path.of(dir, name).toString();
            }
        }
        throw new IllegalStateException(name + " is not in /usr/bin or /usr/lib/chromium");
    }

    public WebDriver driver() {
        return driver;
    }

    public void open(String url) {
        driver.get(url);
    }

    public Object script(String javascript) {
        return ((JavascriptExecutor) driver).executeScript(javascript);
    }

    /** Fills in Keycloak's sign-in page, which the browser is on. */
    public void signInOnKeycloak(String user, String password) {
        waitFor(By.id("username")).sendKeys(user);
        driver.findElement(By.id("password")).sendKeys(password);
        driver.findElement(By.id("kc-login")).click();
    }

    /** The first displayed element {@code by} finds, waiting up to 30 s for one. */
    public WebElement waitFor(By by) {
        try {
            // the dashboard re-renders on every live event: an element found a moment ago may be gone - look again
            return new WebDriverWait(driver, WAIT).ignoring(StaleElementReferenceException.class).until(d -> {
                List<WebElement> found = d.findElements(by);
                return found.isEmpty() || !found.get(0).isDisplayed() ? null : found.get(0);
            });
        } catch (TimeoutException e) {
            throw new AssertionError("no " + by + " displayed within " + WAIT + "; the browser shows " + pageSummary(), e);
        }
    }

    public void waitUntil(BooleanSupplier condition) {
        waitUntil(WAIT, condition);
    }

    /**
     * Waits until {@code condition} holds; if it never does, fails with what the page showed (address,
     * title, the start of its visible text) and saves a screenshot {@code timeout-N.png} - a failure
     * on a machine nobody can look at must still say where the browser was.
     */
    public void waitUntil(Duration timeout, BooleanSupplier condition) {
        try {
            new WebDriverWait(driver, timeout).ignoring(RuntimeException.class).until(d -> condition.getAsBoolean());
        } catch (TimeoutException e) {
            throw new AssertionError("condition not met within " + timeout + "; the browser shows " + pageSummary(),
                    e);
        }
    }

    /** Where the browser is and what it shows, for a failure message; saves a screenshot as well. */
    public String pageSummary() {
        StringBuilder summary = new StringBuilder();
        try {
            summary.append(driver.getCurrentUrl()).append(" titled '").append(driver.getTitle()).append("'");
            String visible = text(By.tagName("body")).replaceAll("\\s+", " ");
            summary.append(", text: ").append(visible.length() > 600 ? visible.substring(0, 600) + "..." : visible);
            String name = "timeout-" + ++timeouts;
            screenshot(name);
            summary.append(" (screenshot ").append(screenshots.resolve(name + ".png")).append(")");
        } catch (RuntimeException e) {
            summary.append(" [cannot read the page: ").append(e.getMessage().lines().findFirst().orElse("")).append("]");
        }
        return summary.toString();
    }

    /** The text of the first element {@code by} finds ("" if none), read again if a redraw replaced it. */
    public String text(By by) {
        for (int attempt = 0; ; attempt++) {
            try {
                List<WebElement> found = driver.findElements(by);
                return found.isEmpty() ? "" : found.get(0).getText().strip();
            } catch (StaleElementReferenceException e) {
                if (attempt == 5) {
                    throw e; // redrawn five times in a row: something is wrong
                }
            }
        }
    }

    /** Clicks what {@code by} finds, again if a live update redrew it in between (as a person would). */
    public void click(By by) {
        new WebDriverWait(driver, WAIT).ignoring(StaleElementReferenceException.class)
                .ignoring(ElementClickInterceptedException.class).until(d -> {
                    d.findElement(by).click();
                    return true;
                });
    }

    /** The whole page at the window's width (the window grows to the page's height for the picture). */
    public void screenshot(String name) {
        Dimension window = driver.manage().window().getSize();
        long height = (Long) script("return document.documentElement.scrollHeight;");
        driver.manage().window().setSize(new Dimension(window.getWidth(), (int) Math.max(window.getHeight(),
                height + 120)));
        try {
            Files.write(screenshots.resolve(name + ".png"), ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save screenshot " + name, e);
        } finally {
            driver.manage().window().setSize(window);
        }
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            Testkit.deleteRecursively(profile);
        }
    }
}
