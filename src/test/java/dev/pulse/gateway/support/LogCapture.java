package dev.pulse.gateway.support;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.jboss.logmanager.ExtLogRecord;

/**
 * Every record the application logs while open, as it would be printed (logger, level, message, exception chain).
 * Quarkus routes all logging through JBoss LogManager, whose root is the JUL root logger, so one handler there sees
 * everything the running application logs in the test JVM.
 */
public final class LogCapture implements AutoCloseable {

    /** One captured record. */
    public record Line(String logger, Level level, String text) {
    }

    private final List<Line> lines = new ArrayList<>();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            StringBuilder text = new StringBuilder(
                    record instanceof ExtLogRecord ext ? String.valueOf(ext.getFormattedMessage())
                            : String.valueOf(record.getMessage()));
            for (Throwable t = record.getThrown(); t != null; t = t.getCause()) {
                text.append('\n').append(t);
            }
            synchronized (lines) {
                lines.add(new Line(record.getLoggerName(), record.getLevel(), text.toString()));
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    private LogCapture() {
        handler.setLevel(Level.ALL);
        Logger.getLogger("").addHandler(handler);
    }

    public static LogCapture start() {
        return new LogCapture();
    }

    public List<Line> lines() {
        synchronized (lines) {
            return List.copyOf(lines);
        }
    }

    /** Records at WARNING or above. */
    public List<Line> warnings() {
        return lines().stream().filter(line -> line.level().intValue() >= Level.WARNING.intValue()).toList();
    }

    /** Everything captured as one text, a line per record. */
    public String text() {
        StringBuilder all = new StringBuilder();
        for (Line line : lines()) {
            all.append(line.logger()).append(' ').append(line.text()).append('\n');
        }
        return all.toString();
    }

    @Override
    public void close() {
        Logger.getLogger("").removeHandler(handler);
    }
}
