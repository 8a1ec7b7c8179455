package io.regent.gateway;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.startsWith;

import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/** The gateway serves the web-ui module's static assets from its classpath. */
@QuarkusTest
class DashboardAssetsTest {

    @Test
    void theDashboardIsServedAtTheRoot() {
        given().when().get("/")
                .then().statusCode(200)
                .contentType(startsWith("text/html"))
                .body(containsString("<title>Regent</title>"));
    }

    @Test
    void theScriptsAreServedAsJavaScriptModulesAndTheStylesAsCss() {
        given().when().get("/js/app.js").then().statusCode(200)
                .contentType(org.hamcrest.Matchers.anyOf(startsWith("text/javascript"),
                        startsWith("application/javascript")))
                .body(containsString("EventSource"));
        given().when().get("/regent.css").then().statusCode(200).contentType(startsWith("text/css"));
    }

    @Test
    void anUnknownAssetIsNotFound() {
        given().when().get("/no-such-asset.js")
                .then().statusCode(404);
    }
}
