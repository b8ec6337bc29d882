package io.github.cfallowlist.cli;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.ConfigParseException;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Setting;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A third-party target as a jar on the class path would bring it: found through {@code
 * META-INF/services}, with a setting of its own, and no change to the CLI.
 */
public final class ExampleTarget implements Target {
  static final Setting<String> GREETING =
      Setting.text(
          "greeting",
          "WORD",
          "The word the example file starts with.",
          Optional.of("hello"),
          Pattern.compile("[a-z]+"),
          "one lower-case word");

  @Override
  public String name() {
    return "example";
  }

  @Override
  public List<Setting<?>> settings() {
    return List.of(GREETING);
  }

  @Override
  public Rendered render(RangeSnapshot snapshot, TargetOptions options) {
    Setting.check(name(), settings(), options);
    StringBuilder out = new StringBuilder(options.get(GREETING)).append('\n');
    snapshot.ranges().all().forEach(c -> out.append(c).append('\n'));
    return Rendered.single("example.txt", out.toString());
  }

  @Override
  public RangeSet parse(Rendered config, TargetOptions options) {
    List<Cidr> cidrs = new ArrayList<>();
    List<String> lines = config.text().lines().toList();
    for (String line : lines.subList(1, lines.size())) {
      try {
        cidrs.add(Cidr.parse(line));
      } catch (IllegalArgumentException e) {
        throw new ConfigParseException("example.txt: " + e.getMessage());
      }
    }
    return RangeSet.of(cidrs);
  }
}
