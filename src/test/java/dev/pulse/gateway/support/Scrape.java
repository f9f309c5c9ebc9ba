package dev.pulse.gateway.support;


/** Reads {@code /q/metrics} as Prometheus does, and sums the samples of one metric that carry the given labels. */
public final class Scrape {

    private final String text;

    private Scrape(String text) {
        this.text = text;
    }

    /** The metrics of a packaged application, from its management port. */
    public static Scrape of(PackagedPulse pulse) {
        return new Scrape(pulse.body("/q/metrics"));
    }

    public static Scrape now() {
        return new Scrape(Management.get("/q/metrics").then().statusCode(200).extract().asString());
    }

    /** The sum of every sample of {@code name} whose labels include all of {@code labels} ({@code key="value"}). */
    public double value(String name, String... labels) {
        double sum = 0;
        for (String line : text.split("\n")) {
            if (line.startsWith("#") || !(line.startsWith(name + "{") || line.startsWith(name + " "))) {
                continue;
            }
            boolean matches = true;
            for (String label : labels) {
                matches &= line.contains(label);
            }
            if (matches) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    /** Whether any metric name starts with {@code prefix}. */
    public boolean has(String prefix) {
        for (String line : text.split("\n")) {
            if (line.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    public String text() {
        return text;
    }
}
