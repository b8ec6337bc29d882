package io.github.cfallowlist.bench;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A target whose configuration is one prefix per line, so a plan measures the engine and not a
 * renderer: it parses its current configuration like every target does (each entry through {@link
 * Cidr#parse}, then {@link RangeSet#of}) and renders a fixed one-line file.
 */
final class LineTarget implements Target {
  static final String FILE = "ranges";

  private final Optional<RangeSet> parsed;

  /** A target that parses its configuration. */
  LineTarget() {
    this(Optional.empty());
  }

  /** A target whose configuration, whatever its text, holds {@code parsed} (to time the diff). */
  LineTarget(Optional<RangeSet> parsed) {
    this.parsed = parsed;
  }

  @Override
  public String name() {
    return "lines";
  }

  @Override
  public Rendered render(RangeSnapshot snapshot, TargetOptions options) {
    return Rendered.single(FILE, "# " + snapshot.ranges().size() + " ranges\n");
  }

  @Override
  public RangeSet parse(Rendered config, TargetOptions options) {
    if (parsed.isPresent()) {
      return parsed.get();
    }
    String text = config.file(FILE).orElseThrow().content();
    return RangeSet.of(parseLines(text));
  }

  /** Every non-empty line of {@code text} as a prefix. */
  static List<Cidr> parseLines(String text) {
    List<Cidr> out = new ArrayList<>();
    int start = 0;
    while (start < text.length()) {
      int end = text.indexOf('\n', start);
      if (end < 0) {
        end = text.length();
      }
      if (end > start) {
        out.add(Cidr.parse(text.substring(start, end)));
      }
      start = end + 1;
    }
    return out;
  }

  /** The configuration holding {@code entries}, one per line. */
  static Rendered config(List<String> entries) {
    StringBuilder text = new StringBuilder(entries.size() * 20);
    for (String e : entries) {
      text.append(e).append('\n');
    }
    return Rendered.single(FILE, text.toString());
  }
}
