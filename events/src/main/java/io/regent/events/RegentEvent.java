package io.regent.events;

/**
 * Every event and command on Regent's topics. All of them are keyed by cluster id, so one
 * partition - and therefore one consumer - sees everything about a cluster, in order.
 */
public sealed interface RegentEvent
        permits NodeObserved, TopologyChanged, SwitchoverRequested, FailoverRequested,
        MaintenanceChanged, RejoinRequested, OperationUpdated {

    /** The cluster this event is about; also the Kafka key and the CloudEvents {@code subject}. */
    String clusterId();
}
