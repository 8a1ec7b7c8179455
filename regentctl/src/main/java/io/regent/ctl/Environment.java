package io.regent.ctl;

import io.regent.ctl.auth.OidcClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/**
 * What a run of {@code regentctl} reads and writes outside itself: its streams, environment variables, home, clock
 * and HTTP client. The real one in {@link RegentCtl#main}; tests run the same commands in-process with their own.
 */
public record Environment(PrintWriter out, PrintWriter err, BufferedReader in, Map<String, String> variables,
        Path home, Clock clock, HttpClient http, OidcClient.Sleeper sleeper) {

    public static Environment system() {
        return new Environment(new PrintWriter(System.out, true, StandardCharsets.UTF_8),
                new PrintWriter(System.err, true, StandardCharsets.UTF_8),
                new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)), System.getenv(),
                Path.of(System.getProperty("user.home")), Clock.systemUTC(), newHttpClient(),
                duration -> Thread.sleep(duration.toMillis()));
    }

    public static HttpClient newHttpClient() {
        return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    public String variable(String name) {
        String value = variables.get(name);
        return value == null || value.isBlank() ? null : value;
    }
}
