package io.regent.ctl.output;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A boxed text table (the way {@code patronictl list} prints one): a title above, one row per line, columns as
 * wide as their widest cell. Cells are plain text; null prints as empty.
 */
public final class Table {

    private final String title;
    private final List<String> headers;
    private final List<List<String>> rows = new ArrayList<>();

    public Table(String title, String... headers) {
        this.title = title;
        this.headers = List.of(headers);
    }

    public Table row(Object... cells) {
        if (cells.length != headers.size()) {
            throw new IllegalArgumentException(headers.size() + " cells expected, got " + cells.length);
        }
        rows.add(Arrays.stream(cells).map(cell -> cell == null ? "" : String.valueOf(cell)).toList());
        return this;
    }

    public int size() {
        return rows.size();
    }

    public String render() {
        int[] widths = new int[headers.size()];
        for (int c = 0; c < widths.length; c++) {
            widths[c] = headers.get(c).length();
            for (List<String> row : rows) {
                widths[c] = Math.max(widths[c], row.get(c).length());
            }
        }
        StringBuilder out = new StringBuilder();
        String rule = rule(widths);
        if (title != null && !title.isBlank()) {
            String head = "+ " + title + " ";
            out.append(head.length() < rule.length() ? head + "-".repeat(rule.length() - head.length() - 1) + "+"
                    : head + "+").append('\n');
        } else {
            out.append(rule).append('\n');
        }
        line(out, headers, widths);
        out.append(rule).append('\n');
        for (List<String> row : rows) {
            line(out, row, widths);
        }
        out.append(rule).append('\n');
        return out.toString();
    }

    private static String rule(int[] widths) {
        StringBuilder rule = new StringBuilder("+");
        for (int width : widths) {
            rule.append("-".repeat(width + 2)).append('+');
        }
        return rule.toString();
    }

    private static void line(StringBuilder out, List<String> cells, int[] widths) {
        out.append('|');
        for (int c = 0; c < widths.length; c++) {
            String cell = cells.get(c);
            out.append(' ').append(cell).append(" ".repeat(widths[c] - cell.length())).append(" |");
        }
        out.append('\n');
    }
}
