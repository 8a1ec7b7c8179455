package io.regent.ctl.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;

/** One event of the live feed: its kind ({@code topology}, {@code health}, {@code operation}, ...), id and data. */
public record FeedEvent(String kind, String id, JsonNode data) {

    static final class Builder {
        private String kind = "message";
        private String id;
        private final StringBuilder data = new StringBuilder();

        void line(String line) {
            if (line.startsWith(":")) {
                return; // a comment (keep-alive)
            }
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + 1);
            value = value.startsWith(" ") ? value.substring(1) : value;
            switch (field) {
                case "event" -> kind = value;
                case "id" -> id = value;
                case "data" -> data.append(data.length() > 0 ? "\n" : "").append(value);
                default -> {
                    // retry and unknown fields: nothing to do
                }
            }
        }

        boolean hasData() {
            return data.length() > 0;
        }

        FeedEvent build() {
            JsonNode json;
            try {
                json = Gateway.JSON.readTree(data.toString());
            } catch (JsonProcessingException e) {
                json = TextNode.valueOf(data.toString());
            }
            return new FeedEvent(kind, id, json);
        }
    }
}
