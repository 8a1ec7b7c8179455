package io.regent.failover.execution;

import org.jboss.logging.MDC;

/**
 * The cluster, operation and epoch on every log line written while an operation runs on this thread (JSON logs
 * carry them as {@code mdc.cluster}, {@code mdc.operation}, {@code mdc.kind}, {@code mdc.epoch}; the plain-text
 * format shows them too), so one operation's lines are found by its id across services and restarts. Restores what
 * was there before when closed (an operation that runs inside a cluster's evaluation keeps the cluster).
 */
public final class OperationLogContext implements AutoCloseable {

    public static final String CLUSTER = "cluster";
    public static final String OPERATION = "operation";
    public static final String KIND = "kind";
    public static final String EPOCH = "epoch";
    private static final String[] KEYS = {CLUSTER, OPERATION, KIND, EPOCH};

    private final Object[] before = new Object[KEYS.length];

    private OperationLogContext(Object... values) {
        for (int i = 0; i < KEYS.length; i++) {
            before[i] = MDC.get(KEYS[i]);
            if (values[i] == null) {
                MDC.remove(KEYS[i]);
            } else {
                MDC.put(KEYS[i], values[i].toString());
            }
        }
    }

    /** Lines about a cluster, no operation (yet). */
    public static OperationLogContext cluster(String clusterId) {
        return new OperationLogContext(clusterId, null, null, null);
    }

    /** Lines about one operation of a cluster, started at {@code epoch}. */
    public static OperationLogContext operation(String clusterId, Object operationId, Object kind, Long epoch) {
        return new OperationLogContext(clusterId, operationId, kind, epoch);
    }

    @Override
    public void close() {
        for (int i = 0; i < KEYS.length; i++) {
            if (before[i] == null) {
                MDC.remove(KEYS[i]);
            } else {
                MDC.put(KEYS[i], before[i]);
            }
        }
    }
}
