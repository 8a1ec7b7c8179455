package io.regent.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The skew is real in a child process, and its timed waits keep their length (HotSpot's included). */
class SkewedClockTest {

    @Test
    void aChildProcessSeesItsWallClockShiftedByTheOffset() throws Exception {
        ProcessBuilder date = new ProcessBuilder("date", "+%s%N");
        date.environment().putAll(SkewedClock.ahead(-3_250));
        long before = System.currentTimeMillis();
        Process process = date.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        assertThat(process.waitFor()).isZero();
        long after = System.currentTimeMillis();
        long child = Long.parseLong(out) / 1_000_000;
        assertThat(child - before).isBetween(-3_250L - 200, -3_250L + (after - before) + 200);
        SkewedClock.removeSharedMemoryOf(process.pid()); // left only by a process that did not exit normally
    }

    @Test
    void aSkewedJvmStillWaitsAsLongAsItIsAskedTo() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder child = new ProcessBuilder(java, "-Xshare:auto", "-cp", System.getProperty("java.class.path"),
                SleepingMain.class.getName());
        child.environment().putAll(SkewedClock.ahead(2_000));
        child.redirectErrorStream(true);
        Process process = child.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        assertThat(process.waitFor()).as(out).isZero();
        SkewedClock.removeSharedMemoryOf(process.pid());
        // Object.wait(500) returned at once under FAKETIME_DONT_FAKE_MONOTONIC: that broke every agent
        assertThat(Long.parseLong(out.lines().reduce((a, b) -> b).orElseThrow())).isBetween(450L,
                Duration.ofSeconds(5).toMillis());
    }

    /** Run in the skewed child JVM: prints how long a 500 ms Object.wait took, on the monotonic clock. */
    public static final class SleepingMain {
        public static void main(String[] args) throws InterruptedException {
            Object lock = new Object();
            long start = System.nanoTime();
            synchronized (lock) {
                lock.wait(500);
            }
            System.out.println((System.nanoTime() - start) / 1_000_000);
        }
    }
}
