package io.regent.testkit.browser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A wait that times out says where the browser was: on CI the message is all there is to read. */
class BrowserTest {

    @Test
    void aTimedOutWaitNamesThePageAndSavesAScreenshot(@TempDir Path screenshots) {
        try (Browser browser = Browser.chromium(screenshots)) {
            browser.open("data:text/html,<title>Sign in</title><p id=error>Cookie not found.</p>");

            assertThatThrownBy(() -> browser.waitUntil(Duration.ofMillis(500), () -> false))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("titled 'Sign in'")
                    .hasMessageContaining("text: Cookie not found.");
            assertThat(screenshots.resolve("timeout-1.png")).isNotEmptyFile();
        }
    }
}
