package io.github.cfallowlist.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

class DeclaredTest {
  /** A command holding every group of options, parsed from {@code args}. */
  private static CommandSpec parsed(String... args) {
    CommandSpec spec = new ApplyCommand().spec;
    new CommandLine(spec).parseArgs(args);
    return spec;
  }

  @Test
  void noOptionOfAnyCommandHasATypeWhoseConverterTheToolSkips() {
    CommandLine all = Cli.commandLine("help");
    List<String> typed = new java.util.ArrayList<>();
    Stream.concat(Stream.of(all), all.getSubcommands().values().stream())
        .flatMap(c -> Stream.concat(Stream.of(c), c.getSubcommands().values().stream()))
        .map(CommandLine::getCommandSpec)
        .forEach(
            spec -> {
              spec.args()
                  .forEach(
                      a -> {
                        typed.add(a.type().getName());
                        for (Class<?> aux : a.auxiliaryTypes()) {
                          typed.add(aux.getName());
                        }
                      });
            });

    assertThat(typed).hasSizeGreaterThan(50).contains("java.lang.String", "java.nio.file.Path");
    for (String pattern : Main.UNUSED_CONVERTERS.split(",", -1)) {
      assertThat(typed).noneMatch(type -> type.matches(pattern));
    }
  }

  @Test
  void everyGroupReadsBackTheOptionsItDeclaresWithTheirDefaults() {
    CommandSpec spec = parsed();
    assertThat(CommonOptions.of(spec).stateDir()).isNotNull();
    SourceOptions source = SourceOptions.of(spec);
    assertThat(source.source).isEqualTo("cloudflare");
    assertThat(source.family).isEqualTo("both");
    TargetArgs targets = TargetArgs.of(spec, Optional.empty());
    assertThat(targets.targets).isNull();
    assertThat(targets.ports).containsExactly(80, 443);
    assertThat(RunOptions.of(spec).fallback()).isEqualTo(io.github.cfallowlist.Fallback.LAST_GOOD);
    assertThat(OriginOptions.of(spec).check()).isEmpty();
    assertThat(FormatOption.of(spec)).isEqualTo(OutputFormat.text);
    assertThat(ConfigOption.given(spec)).isNull();
    assertThat(Declared.given(spec, "--dry-run")).isFalse();
    assertThat((Integer) Declared.value(spec, "--lock-timeout")).isEqualTo(30);
  }

  @Test
  void givenValuesReachTheGroupsTyped() {
    CommandSpec spec =
        parsed(
            "--target",
            "nftables",
            "--target",
            "nginx",
            "--ports",
            "8443,443",
            "--family",
            "ipv4",
            "--format",
            "json",
            "--dry-run",
            "--lock-timeout",
            "5",
            "--set",
            "chain=X");
    TargetArgs targets = TargetArgs.of(spec, Optional.empty());
    assertThat(targets.targets).containsExactly("nftables", "nginx");
    assertThat(targets.ports).containsExactly(8443, 443);
    assertThat(SourceOptions.of(spec).family).isEqualTo("ipv4");
    assertThat(FormatOption.of(spec)).isEqualTo(OutputFormat.json);
    assertThat(Declared.given(spec, "--dry-run")).isTrue();
    assertThat((Integer) Declared.value(spec, "--lock-timeout")).isEqualTo(5);
  }

  @Test
  void aFlagTakesAnAttachedTrueOrFalseAndRefusesAnythingElseAsABoolean() {
    assertThat(CliRun.of("fetch", "--source", "embedded", "--quiet=true").exitCode()).isZero();
    assertThat(CliRun.of("fetch", "--source", "embedded", "--verbose=false").exitCode()).isZero();
    CliRun yes = CliRun.of("fetch", "--source", "embedded", "--quiet=yes");
    assertThat(yes.exitCode()).isEqualTo(1);
    assertThat(yes.err())
        .isEqualTo(
            "cf-allowlist: Invalid value for option '--quiet': 'yes' is not a boolean"
                + " (see 'cf-allowlist fetch --help')\n");
  }

  @Test
  void checkWithoutAnAddressSaysTheParameterIsMissing() {
    for (String[] args :
        List.of(
            new String[] {"check", "--source", "embedded"},
            new String[] {"check", "--source", "embedded", "--format", "json", "--"})) {
      CliRun run = CliRun.of(args);
      assertThat(run.exitCode()).isEqualTo(1);
      assertThat(run.err())
          .isEqualTo(
              "cf-allowlist: Missing required parameter: 'ADDRESS'"
                  + " (see 'cf-allowlist check --help')\n");
      if (List.of(args).contains("json")) {
        assertThat(run.out())
            .startsWith("{\"schema\":")
            .endsWith(
                "\"error\":\"Missing required parameter: 'ADDRESS'"
                    + " (see 'cf-allowlist check --help')\"}\n");
      } else {
        assertThat(run.out()).isEmpty();
      }
    }
  }

  @Test
  void readingAnOptionTheCommandDoesNotDeclareIsAProgrammingErrorNamingIt() {
    CommandSpec spec = parsed();
    assertThatThrownBy(() -> Declared.value(spec, "--no-such-option"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("--no-such-option");
  }

  @Test
  void noCommandIsDeclaredWithAnnotationsWhichAColdStartWouldPayFor() throws IOException {
    Path sources = Path.of("src/main/java/io/github/cfallowlist/cli");
    List<Path> files;
    try (Stream<Path> list = Files.list(sources)) {
      files = list.filter(p -> p.toString().endsWith(".java")).toList();
    }
    assertThat(files).hasSizeGreaterThan(10);
    for (Path file : files) {
      String text = Files.readString(file);
      assertThat(text)
          .as(file.toString())
          .doesNotContain("@Command(", "@Option(", "@Mixin", "@Spec", "@Parameters(", "@ArgGroup");
    }
  }
}
