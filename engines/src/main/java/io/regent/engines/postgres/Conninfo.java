package io.regent.engines.postgres;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * libpq key/value connection strings ({@code host=a port=5432 password='it''s'}), as found in
 * {@code primary_conninfo}. Re-pointing a follower edits host and port and keeps every other key -
 * the replication user's password included - so Regent never has to know it.
 */
final class Conninfo {

    private Conninfo() {
    }

    static Map<String, String> parse(String conninfo) {
        Map<String, String> values = new LinkedHashMap<>();
        int i = 0;
        int n = conninfo.length();
        while (i < n) {
            while (i < n && Character.isWhitespace(conninfo.charAt(i))) {
                i++;
            }
            if (i >= n) {
                break;
            }
            int keyStart = i;
            while (i < n && conninfo.charAt(i) != '=' && !Character.isWhitespace(conninfo.charAt(i))) {
                i++;
            }
            String key = conninfo.substring(keyStart, i);
            while (i < n && Character.isWhitespace(conninfo.charAt(i))) {
                i++;
            }
            if (i >= n || conninfo.charAt(i) != '=') {
                throw new IllegalArgumentException("missing '=' after '" + key + "' in connection string");
            }
            i++;
            while (i < n && Character.isWhitespace(conninfo.charAt(i))) {
                i++;
            }
            StringBuilder value = new StringBuilder();
            if (i < n && conninfo.charAt(i) == '\'') {
                i++;
                while (i < n && conninfo.charAt(i) != '\'') {
                    char c = conninfo.charAt(i);
                    if (c == '\\' && i + 1 < n) {
                        c = conninfo.charAt(++i);
                    }
                    value.append(c);
                    i++;
                }
                if (i >= n) {
                    throw new IllegalArgumentException("unterminated quoted value for '" + key + "'");
                }
                i++;
            } else {
                while (i < n && !Character.isWhitespace(conninfo.charAt(i))) {
                    char c = conninfo.charAt(i);
                    if (c == '\\' && i + 1 < n) {
                        c = conninfo.charAt(++i);
                    }
                    value.append(c);
                    i++;
                }
            }
            values.put(key, value.toString());
        }
        return values;
    }

    static String format(Map<String, String> values) {
        return values.entrySet().stream()
                .map(e -> e.getKey() + "='" + e.getValue().replace("\\", "\\\\").replace("'", "\\'") + "'")
                .collect(Collectors.joining(" "));
    }
}
