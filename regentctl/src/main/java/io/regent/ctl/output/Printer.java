package io.regent.ctl.output;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.regent.ctl.api.Gateway;
import java.io.PrintWriter;
import java.util.function.Supplier;

/** Prints a result in the chosen format: the data itself as JSON or YAML, or the table made from it. */
public final class Printer {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES))
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .setDefaultPropertyInclusion(JsonInclude.Value.construct(JsonInclude.Include.NON_NULL,
                    JsonInclude.Include.NON_NULL));

    private final Format format;
    private final PrintWriter out;

    public Printer(Format format, PrintWriter out) {
        this.format = format;
        this.out = out;
    }

    public Format format() {
        return format;
    }

    public static ObjectMapper yaml() {
        return YAML;
    }

    /** {@code data} as JSON or YAML; in table format, {@code table}'s text. */
    public void print(Object data, Supplier<String> table) {
        try {
            switch (format) {
                case JSON -> out.println(Gateway.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(data));
                case YAML -> out.print(YAML.writeValueAsString(data));
                case TABLE -> out.print(table.get());
            }
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot print " + data.getClass().getSimpleName(), e);
        }
        out.flush();
    }

    /** One line for people (table format only: JSON and YAML stay parseable). */
    public void say(String line) {
        if (format == Format.TABLE) {
            out.println(line);
            out.flush();
        }
    }

    /** One JSON document per line in JSON format (a stream: {@code watch}); else as {@link #print}. */
    public void printLine(Object data, Supplier<String> text) {
        try {
            switch (format) {
                case JSON -> out.println(Gateway.JSON.writeValueAsString(data));
                case YAML -> out.print("---\n" + YAML.writeValueAsString(data));
                case TABLE -> out.println(text.get());
            }
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot print " + data.getClass().getSimpleName(), e);
        }
        out.flush();
    }
}
