package io.regent.engines.postgres;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * PostgreSQL's {@code synchronous_standby_names} as the server reads it: {@code ANY k (a, b)} (quorum),
 * {@code FIRST k (a, b)} or {@code k (a, b)} (priority), a bare list {@code a, b} (FIRST 1), {@code *} (any
 * standby), empty (asynchronous). Names are folded to lower case unless double-quoted, as the server does.
 * Whatever the method, a commit acknowledged under it is on at least {@code k} standbys named here.
 *
 * @param method   QUORUM (ANY), PRIORITY (FIRST), or NONE when asynchronous
 * @param k        how many standbys must confirm a commit; 0 when asynchronous
 * @param names    the standbys named, in order; {@code *} stands for every standby
 * @param text     the setting as read
 */
public record SynchronousStandbyNames(Method method, int k, List<String> names, String text) {

    public enum Method { NONE, QUORUM, PRIORITY }

    /** What a fenced leader waits for: a standby that never exists, so no commit is acknowledged. */
    public static final String FENCED = PostgresActions.FENCED_STANDBY;

    public SynchronousStandbyNames {
        Objects.requireNonNull(method, "method");
        names = List.copyOf(names);
    }

    public boolean asynchronous() {
        return method == Method.NONE;
    }

    /** Any standby can confirm ({@code *}). */
    public boolean anyStandby() {
        return names.contains("*");
    }

    /** The leader was fenced by Regent: it waits for a standby that never exists. */
    public boolean fenced() {
        return names.equals(List.of(FENCED));
    }

    /**
     * The setting parsed; an {@link IllegalArgumentException} names what could not be read (a server would not
     * have accepted it either).
     */
    public static SynchronousStandbyNames parse(String setting) {
        String text = setting == null ? "" : setting.strip();
        if (text.isEmpty()) {
            return new SynchronousStandbyNames(Method.NONE, 0, List.of(), text);
        }
        Method method = Method.PRIORITY;
        String rest = text;
        String upper = text.toUpperCase(Locale.ROOT);
        if (upper.startsWith("ANY ") || upper.startsWith("ANY\t")) {
            method = Method.QUORUM;
            rest = text.substring(3).strip();
        } else if (upper.startsWith("FIRST ") || upper.startsWith("FIRST\t")) {
            rest = text.substring(5).strip();
        }
        int k = 1;
        int digits = 0;
        while (digits < rest.length() && Character.isDigit(rest.charAt(digits))) {
            digits++;
        }
        boolean counted = digits > 0 && rest.substring(digits).strip().startsWith("(");
        if (counted) {
            k = Integer.parseInt(rest.substring(0, digits));
            rest = rest.substring(digits).strip();
        } else if (method == Method.QUORUM || !rest.equals(text)) {
            throw new IllegalArgumentException("synchronous_standby_names '" + text + "': ANY and FIRST need a number "
                    + "and a list in parentheses");
        }
        if (rest.startsWith("(")) {
            if (!rest.endsWith(")")) {
                throw new IllegalArgumentException("synchronous_standby_names '" + text + "': unclosed parenthesis");
            }
            rest = rest.substring(1, rest.length() - 1);
        }
        List<String> names = names(rest, text);
        if (names.isEmpty()) {
            throw new IllegalArgumentException("synchronous_standby_names '" + text + "' names no standby");
        }
        return new SynchronousStandbyNames(method, k, names, text);
    }

    private static List<String> names(String list, String text) {
        List<String> names = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        boolean wasQuoted = false;
        for (int i = 0; i < list.length(); i++) {
            char c = list.charAt(i);
            if (c == '"') {
                if (quoted && i + 1 < list.length() && list.charAt(i + 1) == '"') {
                    current.append('"');
                    i++;
                } else {
                    quoted = !quoted;
                    wasQuoted = true;
                }
            } else if (c == ',' && !quoted) {
                add(names, current, wasQuoted, text);
                current.setLength(0);
                wasQuoted = false;
            } else {
                current.append(c);
            }
        }
        if (quoted) {
            throw new IllegalArgumentException("synchronous_standby_names '" + text + "': unclosed quote");
        }
        add(names, current, wasQuoted, text);
        return names;
    }

    private static void add(List<String> names, StringBuilder current, boolean quoted, String text) {
        String name = quoted ? current.toString().strip() : current.toString().strip().toLowerCase(Locale.ROOT);
        if (name.isEmpty()) {
            throw new IllegalArgumentException("synchronous_standby_names '" + text + "': an empty name");
        }
        names.add(name);
    }
}
