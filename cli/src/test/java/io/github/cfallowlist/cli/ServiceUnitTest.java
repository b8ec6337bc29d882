package io.github.cfallowlist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Setting;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.Targets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The systemd unit the package ships, against what the targets write. */
class ServiceUnitTest {
  private static final Path SERVICE = Path.of("src/deb/data/cf-allowlist.service");

  @Test
  void theServiceMayWriteTheDirectoryOfEveryTargetsDefaultFile() throws IOException {
    List<Path> writable = readWritePaths();
    List<String> unwritable = new ArrayList<>();
    for (String name : Targets.names()) {
      Target target = Targets.byName(name);
      for (Setting<?> setting : target.settings()) {
        if (!setting.name().endsWith("-file")
            || setting.defaultValue().isEmpty()
            || !(setting.defaultValue().get() instanceof Path file)) {
          continue;
        }
        // The target writes the file and its intent file beside it: the directory must be writable.
        Path dir = file.getParent();
        if (writable.stream().noneMatch(dir::startsWith)) {
          unwritable.add(name + " " + setting.name() + " " + file);
        }
      }
    }

    assertThat(unwritable).as("default files outside the unit's ReadWritePaths").isEmpty();
    assertThat(writable).contains(Path.of("/etc/nginx/conf.d"), Path.of("/run"));
  }

  private static List<Path> readWritePaths() throws IOException {
    List<Path> paths = new ArrayList<>();
    for (String line : Files.readAllLines(SERVICE)) {
      if (line.startsWith("ReadWritePaths=")) {
        Arrays.stream(line.substring("ReadWritePaths=".length()).trim().split("\\s+"))
            .map(p -> Path.of(p.startsWith("-") ? p.substring(1) : p))
            .forEach(paths::add);
      }
    }
    return paths;
  }
}
