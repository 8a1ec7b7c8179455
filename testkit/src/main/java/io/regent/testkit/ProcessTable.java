package io.regent.testkit;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads {@code /proc}. Every server the testkit starts runs with its working directory inside the
 * testkit's run directory (PostgreSQL backends {@code chdir} to the data directory, Kafka is
 * started there), so "live processes whose cwd is under X" finds a server and all its children,
 * even after they were re-parented.
 */
public final class ProcessTable {

    private static final Path PROC = Path.of("/proc");

    private ProcessTable() {
    }

    /** A process as {@code /proc/<pid>} shows it. */
    public record Entry(long pid, long parentPid, char state, String cwd, String commandLine) {
        /** Zombies (state Z) are dead: only their exit status waits to be collected. */
        public boolean live() {
            return state != 'Z' && state != 'X';
        }
    }

    /** Live processes whose working directory is {@code dir} or below it (deleted dirs included). */
    public static List<Entry> liveUnder(Path dir) {
        String prefix = realPath(dir).toString();
        List<Entry> found = new ArrayList<>();
        for (Entry entry : all()) {
            String cwd = entry.cwd();
            if (cwd != null && entry.live() && (cwd.equals(prefix) || cwd.startsWith(prefix + "/")
                    || cwd.equals(prefix + " (deleted)"))) {
                found.add(entry);
            }
        }
        return found;
    }

    /** {@code dir} without links, as the kernel shows working directories (the demo's home may be a link). */
    static Path realPath(Path dir) {
        try {
            return dir.toRealPath();
        } catch (java.io.IOException e) {
            return dir.toAbsolutePath().normalize(); // gone already: nothing can work in it
        }
    }

    /** Live children of {@code pid}. */
    public static List<Entry> liveChildrenOf(long pid) {
        return all().stream().filter(e -> e.parentPid() == pid && e.live()).toList();
    }

    public static Optional<Entry> get(long pid) {
        return read(PROC.resolve(Long.toString(pid)));
    }

    public static List<Entry> all() {
        List<Entry> entries = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(PROC, p -> p.getFileName().toString()
                .chars().allMatch(Character::isDigit))) {
            for (Path dir : dirs) {
                read(dir).ifPresent(entries::add);
            }
        } catch (IOException e) {
            throw new TestkitException("cannot list /proc", e);
        }
        return entries;
    }

    private static Optional<Entry> read(Path dir) {
        try {
            String stat = Files.readString(dir.resolve("stat"));
            // pid (comm) state ppid ...; comm may contain spaces and parentheses
            int close = stat.lastIndexOf(')');
            String[] rest = stat.substring(close + 2).split(" ");
            char state = rest[0].charAt(0);
            long ppid = Long.parseLong(rest[1]);
            String cwd;
            try {
                cwd = Files.readSymbolicLink(dir.resolve("cwd")).toString();
            } catch (IOException | UnsupportedOperationException e) {
                cwd = null; // zombies and other users' processes when not root
            }
            String cmdline;
            try {
                cmdline = new String(Files.readAllBytes(dir.resolve("cmdline"))).replace('\0', ' ').strip();
            } catch (IOException e) {
                cmdline = "";
            }
            return Optional.of(new Entry(Long.parseLong(dir.getFileName().toString()), ppid, state, cwd, cmdline));
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // the process exited while we looked
        }
    }
}
