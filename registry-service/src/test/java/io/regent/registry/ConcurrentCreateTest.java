package io.regent.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Racing creations of the same cluster or node: one wins, the others get 409 - never a 500. */
@QuarkusTest
class ConcurrentCreateTest {

    @TestHTTPResource("/api/v1/clusters")
    URI clusters;

    @Test
    void racingCreatesOfTheSameClusterGiveOneCreatedAndConflictsOnly() throws Exception {
        String body = new ObjectMapper().writeValueAsString(Api.cluster("race"));
        List<Integer> statuses = race(8, () -> post(clusters, body));
        assertThat(statuses).containsOnly(201, 409).containsOnlyOnce(201);
    }

    @Test
    void racingAdditionsOfTheSameNodeGiveOneCreatedAndConflictsOnly() throws Exception {
        Api.createCluster("race-nodes");
        String body = "{\"name\":\"extra\",\"host\":\"10.9.9.9\",\"port\":5432}";
        List<Integer> statuses = race(8, () -> post(URI.create(clusters + "/race-nodes/nodes"), body));
        assertThat(statuses).containsOnly(201, 409).containsOnlyOnce(201);
    }

    private static List<Integer> race(int writers, java.util.concurrent.Callable<Integer> call) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            List<Future<Integer>> futures = new ArrayList<>();
            for (int i = 0; i < writers; i++) {
                futures.add(pool.submit(call));
            }
            List<Integer> statuses = new ArrayList<>();
            for (Future<Integer> future : futures) {
                statuses.add(future.get());
            }
            return statuses;
        } finally {
            pool.shutdownNow();
        }
    }

    private static int post(URI uri, String body) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri)
                .header("Authorization", "Bearer " + Api.ADMIN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 201) {
            assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                    type -> assertThat(type).startsWith("application/problem+json"));
        }
        return response.statusCode();
    }
}
