package io.regent.engines;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.regent.engines.ClusterLogins.Login;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Which login is used on a cluster's nodes, as the registry's answers and the clock change. */
class ClusterLoginsTest {

    private static final Login OWN = new Login("alpha_control", "first");
    private static final Login ROTATED = new Login("alpha_control", "second");
    private static final Login DEFAULT = new Login("regent", "shared");

    private final AtomicLong clock = new AtomicLong();
    /** What the registry answers now: a login, none (empty), or null for "unreachable". */
    private final AtomicReference<Optional<Login>> registry = new AtomicReference<>(Optional.of(OWN));
    private final List<String> asked = new ArrayList<>();
    private final List<Runnable> queued = new ArrayList<>();

    private ClusterLogins logins(Optional<Login> fallback) {
        return new ClusterLogins(cluster -> {
            asked.add(cluster);
            Optional<Login> answer = registry.get();
            if (answer == null) {
                throw new IllegalStateException("registry unreachable");
            }
            return answer;
        }, fallback, Duration.ofSeconds(30), clock::get, queued::add);
    }

    private void runBackground() {
        List<Runnable> now = new ArrayList<>(queued);
        queued.clear();
        now.forEach(Runnable::run);
    }

    @Test
    void anActionUsesTheClustersOwnLoginAndFetchesItOnceWithinTheRefresh() {
        ClusterLogins logins = logins(Optional.of(DEFAULT));
        assertThat(logins.forAction("alpha")).isEqualTo(OWN);
        clock.addAndGet(Duration.ofSeconds(29).toNanos());
        assertThat(logins.forAction("alpha")).isEqualTo(OWN);
        assertThat(asked).containsExactly("alpha");
    }

    @Test
    void aRotatedPasswordIsUsedAfterTheRefreshWithoutARestart() {
        ClusterLogins logins = logins(Optional.empty());
        assertThat(logins.forAction("alpha")).isEqualTo(OWN);
        registry.set(Optional.of(ROTATED));
        assertThat(logins.forAction("alpha")).as("still fresh").isEqualTo(OWN);
        clock.addAndGet(Duration.ofSeconds(30).toNanos());
        assertThat(logins.forAction("alpha")).isEqualTo(ROTATED);
    }

    @Test
    void probesNeverWaitTheyUseTheFallbackUntilTheBackgroundFetchAnswered() {
        ClusterLogins logins = logins(Optional.of(DEFAULT));
        assertThat(logins.now("alpha")).contains(DEFAULT);
        assertThat(logins.now("alpha")).as("one fetch in flight, not one per call").contains(DEFAULT);
        assertThat(queued).hasSize(1);
        runBackground();
        assertThat(logins.now("alpha")).contains(OWN);
    }

    @Test
    void withoutAFallbackAClusterWithNoStoredLoginHasNone() {
        registry.set(Optional.empty());
        ClusterLogins logins = logins(Optional.empty());
        assertThat(logins.now("alpha")).isEmpty();
        assertThatThrownBy(() -> logins.forAction("alpha")).hasMessage("no database login for cluster alpha: the "
                + "registry holds none (or could not be asked) and the default login is not allowed as a fallback");
    }

    @Test
    void aClusterWithNoStoredLoginUsesTheDefaultWhenTheOperatorAllowsIt() {
        registry.set(Optional.empty());
        assertThat(logins(Optional.of(DEFAULT)).forAction("alpha")).isEqualTo(DEFAULT);
    }

    @Test
    void anUnreachableRegistryLeavesTheLastKnownLoginInUse() {
        ClusterLogins logins = logins(Optional.of(DEFAULT));
        assertThat(logins.forAction("alpha")).isEqualTo(OWN);
        registry.set(null);
        clock.addAndGet(Duration.ofMinutes(5).toNanos());
        assertThat(logins.forAction("alpha")).as("not the default: the cluster has its own").isEqualTo(OWN);
        assertThat(logins.now("alpha")).contains(OWN);
    }

    @Test
    void aForgottenClusterIsFetchedAgain() {
        ClusterLogins logins = logins(Optional.empty());
        logins.forAction("alpha");
        logins.forget("alpha");
        registry.set(Optional.of(ROTATED));
        assertThat(logins.forAction("alpha")).isEqualTo(ROTATED);
        assertThat(asked).containsExactly("alpha", "alpha");
    }

    @Test
    void theLoginNeverShowsItsPassword() {
        assertThat(OWN.toString()).doesNotContain("first").contains("***");
    }
}
