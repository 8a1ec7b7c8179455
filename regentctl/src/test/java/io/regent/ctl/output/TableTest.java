package io.regent.ctl.output;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TableTest {

    @Test
    void columnsAreAsWideAsTheirWidestCellUnderATitle() {
        String text = new Table("Cluster: pg", "NODE", "ROLE", "LAG")
                .row("pg-1", "LEADER", null)
                .row("pg-22", "FOLLOWER", "1.5 KiB")
                .render();
        assertThat(text).isEqualTo("""
                + Cluster: pg ---------------+
                | NODE  | ROLE     | LAG     |
                +-------+----------+---------+
                | pg-1  | LEADER   |         |
                | pg-22 | FOLLOWER | 1.5 KiB |
                +-------+----------+---------+
                """);
    }

    @Test
    void aTitleWiderThanTheTableStillCloses() {
        assertThat(new Table("A very long title indeed", "A").row("x").render().lines().findFirst().orElseThrow())
                .isEqualTo("+ A very long title indeed +");
    }

    @Test
    void aRowOfTheWrongWidthIsADefect() {
        assertThatThrownBy(() -> new Table(null, "A", "B").row("only one"))
                .hasMessage("2 cells expected, got 1");
    }
}
