package io.regent.registry.domain;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import java.time.Instant;

/** One phase of an operation. */
@Embeddable
public class PhaseEmbeddable {

    @Column(nullable = false)
    public String name;

    @Column(nullable = false)
    public Instant at;

    public String detail;

    public PhaseEmbeddable() {
    }

    public PhaseEmbeddable(String name, Instant at, String detail) {
        this.name = name;
        this.at = at;
        this.detail = detail;
    }
}
