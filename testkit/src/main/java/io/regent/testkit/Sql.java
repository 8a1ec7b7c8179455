package io.regent.testkit;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One statement on a connection of a test server, with errors that name the server and the statement. */
public final class Sql {

    private Sql() {
    }

    /** Runs {@code sql} on {@code connection} and closes it. */
    public static void execute(Connection connection, String server, String sql) {
        try (connection; Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new TestkitException("on " + server + ": " + sql + " failed: " + e.getMessage(), e);
        }
    }

    /** The rows of {@code sql} on {@code connection}, column label to value, in order; closes the connection. */
    public static List<Map<String, Object>> query(Connection connection, String server, String sql) {
        try (connection; Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery(sql)) {
            ResultSetMetaData meta = rs.getMetaData();
            List<Map<String, Object>> rows = new ArrayList<>();
            while (rs.next()) {
                Map<String, Object> row = new LinkedHashMap<>();
                for (int i = 1; i <= meta.getColumnCount(); i++) {
                    row.put(meta.getColumnLabel(i), rs.getObject(i));
                }
                rows.add(row);
            }
            return rows;
        } catch (SQLException e) {
            throw new TestkitException("on " + server + ": " + sql + " failed: " + e.getMessage(), e);
        }
    }

    /** The first column of the first row, or null when there is none. */
    public static Object firstValue(List<Map<String, Object>> rows) {
        return rows.isEmpty() ? null : rows.get(0).values().iterator().next();
    }
}
