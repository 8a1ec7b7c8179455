package io.regent.ctl.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.regent.ctl.ExitCodes;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every error answer becomes one line a person can act on, and the exit code a script can test. */
class ProblemTest {

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
            // status | content type | body | exit code | the line
            "403 | application/problem+json | {\"title\":\"Forbidden\",\"status\":403,\"detail\":\"needs the role regent-operator\"} | 4 | Forbidden (403): needs the role regent-operator",
            "409 | application/problem+json | {\"title\":\"Epoch mismatch\",\"status\":409,\"detail\":\"expected epoch 1,\\n cluster is at 4\"} | 6 | Epoch mismatch (409): expected epoch 1, cluster is at 4",
            "400 | application/problem+json | {\"title\":\"Invalid request\",\"detail\":\"nodes[0].port must be less than or equal to 65535\"} | 6 | Invalid request (400): nodes[0].port must be less than or equal to 65535",
            "404 | application/problem+json | {\"title\":\"Not Found\",\"detail\":\"no cluster nope\"} | 5 | Not Found (404): no cluster nope",
            "401 | application/problem+json | {\"title\":\"Unauthorized\",\"detail\":\"the token has expired\"} | 3 | Unauthorized (401): the token has expired - sign in with: regentctl login",
            "401 | text/plain               |                                              | 3 | Not signed in (401): the gateway did not accept the token - sign in with: regentctl login",
            "502 | text/html                | <html>bad gateway</html>                     | 7 | Bad gateway (502): <html>bad gateway</html>",
            "503 | application/problem+json | {\"title\":\"Registry unavailable\",\"detail\":\"try again\"} | 7 | Registry unavailable (503): try again",
            "422 | application/json         | not json at all                              | 6 | HTTP error (422): not json at all"})
    void oneLineAndAnExitCode(int status, String contentType, String body, int exit, String line) {
        ApiProblem problem = Gateway.problem(status, Optional.of(contentType), body == null ? "" : body);
        assertThat(problem.getMessage()).isEqualTo(line);
        assertThat(problem.exitCode()).isEqualTo(exit);
        assertThat(problem.status()).isEqualTo(status);
    }

    @ParameterizedTest
    @CsvSource({"400,6", "401,3", "403,4", "404,5", "409,6", "415,6", "422,6", "429,6", "500,7", "502,7", "503,7"})
    void exitCodes(int status, int exit) {
        assertThat(ExitCodes.forStatus(status)).isEqualTo(exit);
    }
}
