package io.github.cfallowlist.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * The commands and their options, declared through picocli's programmatic model rather than its
 * annotations: reading annotations makes the JVM generate a proxy class for each annotation type
 * and parse every annotated member at every start, which cost a cold run about 90 ms.
 */
final class Declared {
  private Declared() {}

  /**
   * The model of a command named {@code name}, run by {@code command} (a {@code Runnable} or a
   * {@code Callable}), with {@code -h/--help} and {@code -V/--version}.
   */
  static CommandSpec command(Object command, String name, String... description) {
    CommandSpec spec = CommandSpec.wrapWithoutInspection(command).name(name);
    spec.usageMessage().description(description);
    spec.addOption(
        OptionSpec.builder("-h", "--help")
            .usageHelp(true)
            .description("Show this help message and exit.")
            .build());
    spec.addOption(
        OptionSpec.builder("-V", "--version")
            .versionHelp(true)
            .description("Print version information and exit.")
            .build());
    return spec;
  }

  /** An option without a value: given or not. */
  static OptionSpec flag(String name, String description) {
    // No arity of its own: picocli's default for a boolean takes --flag and --flag=true|false.
    return OptionSpec.builder(name)
        .type(boolean.class)
        .initialValue(false)
        .description(description)
        .build();
  }

  /** An option whose value is of {@code type}, shown in the help as {@code label}. */
  static OptionSpec.Builder option(String name, Class<?> type, String label, String description) {
    return OptionSpec.builder(name).type(type).paramLabel(label).description(description);
  }

  /** A repeatable option whose values are of {@code type}: a {@code List} of them. */
  static OptionSpec.Builder listOption(
      String name, Class<?> type, String label, String description) {
    return option(name, java.util.List.class, label, description).auxiliaryTypes(type);
  }

  /**
   * Positional parameters, all of them, as a {@code List<String>}; required when {@code arity} asks
   * for at least one.
   */
  static PositionalParamSpec parameters(String arity, String label, String description) {
    return PositionalParamSpec.builder()
        .arity(arity)
        .required(!arity.startsWith("0"))
        .type(java.util.List.class)
        .auxiliaryTypes(String.class)
        .paramLabel(label)
        .description(description)
        .build();
  }

  /**
   * The value of {@code spec}'s option {@code name}: as given, as the configuration file set it, or
   * its default; {@code null} when it has none.
   *
   * @throws IllegalStateException when the command declares no such option
   */
  @SuppressWarnings({"unchecked", "TypeParameterUnusedInFormals"})
  static <T> T value(CommandSpec spec, String name) {
    // By the exact name: findOption would also try each option's names without their dashes.
    OptionSpec option = spec.optionsMap().get(name);
    if (option == null) {
      throw new IllegalStateException(spec.qualifiedName() + " declares no option " + name);
    }
    return (T) option.getValue();
  }

  /** The value of the flag {@code name}. */
  static boolean given(CommandSpec spec, String name) {
    Boolean value = value(spec, name);
    return value != null && value;
  }
}
