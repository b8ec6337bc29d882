package io.github.cfallowlist.cli;

import io.github.cfallowlist.CfAllowlistException;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Header;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.RangeSource;
import io.github.cfallowlist.RawRanges;
import io.github.cfallowlist.Run;
import io.github.cfallowlist.StateDir;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/** The top-level command and the error handling shared by every subcommand. */
public final class Cli implements Runnable {
  /** Exit status: done, in sync, no changes. */
  public static final int OK = 0;

  /** Exit status: error, nothing changed. */
  public static final int ERROR = 1;

  /** Exit status: changes pending, or an address outside the ranges. */
  public static final int CHANGES = 2;

  private final CommandSpec spec =
      Declared.command(
          this,
          "cf-allowlist",
          "Keeps the firewall (nftables, iptables/ip6tables/ipset, firewalld), the web servers'"
              + " real-IP trust lists (nginx, HAProxy, Apache, Caddy) and the allowlists of"
              + " fail2ban and CrowdSec in step with Cloudflare's published IP ranges.",
          "",
          "Exit codes: 0 done / in sync; 1 a target refused or failed (other targets may have been"
              + " applied) or bad input; 2 changes pending (plan, status, apply --dry-run) or an"
              + " address outside the ranges (check).");

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** The subcommands' names, in the order the help lists them. */
  private static final List<String> SUBCOMMANDS =
      List.of(
          "fetch",
          "check",
          "render",
          "plan",
          "apply",
          "status",
          "doctor",
          "config",
          "generate-completion",
          "help");

  /** The model of the subcommand {@code name}, built only when needed; null for no such name. */
  private static CommandSpec subcommand(String name) {
    return switch (name) {
      case "fetch" -> new FetchCommand().spec;
      case "check" -> new CheckCommand().spec;
      case "render" -> new RenderCommand().spec;
      case "plan" -> new PlanCommand().spec;
      case "apply" -> new ApplyCommand().spec;
      case "status" -> new StatusCommand().spec;
      case "doctor" -> new DoctorCommand().spec;
      case "config" -> new ConfigCommand().spec;
      case "generate-completion" ->
          CommandSpec.forAnnotatedObject(new AutoComplete.GenerateCompletion());
      case "help" -> CommandSpec.forAnnotatedObject(new CommandLine.HelpCommand());
      default -> null;
    };
  }

  /**
   * A command line for {@code args} with this tool's error handling: one sentence on stderr, exit
   * 1. When {@code args} starts with a subcommand, only that one is built.
   */
  public static CommandLine commandLine(String... args) {
    Cli top = new Cli();
    top.spec.versionProvider(new Version());
    CommandLine cmd = new CommandLine(top.spec);
    // `help COMMAND` needs every command.
    CommandSpec only = args.length > 0 && !args[0].equals("help") ? subcommand(args[0]) : null;
    if (only != null) {
      cmd.addSubcommand(args[0], only);
    } else {
      for (String name : SUBCOMMANDS) {
        cmd.addSubcommand(name, subcommand(name));
      }
    }
    for (CommandLine sub : cmd.getSubcommands().values()) {
      sub.getCommandSpec().versionProvider(new Version());
    }
    Handling handling = new Handling();
    cmd.setExecutionStrategy(handling);
    cmd.setExecutionExceptionHandler(handling);
    cmd.setParameterExceptionHandler(handling);
    return cmd;
  }

  /**
   * The execution strategy and error handlers, as one class rather than method references: the
   * picocli interfaces they implement are compiled for an old class-file version, which a
   * class-data archive can hold only while nothing links them when it is built, and building a
   * method reference's class links its interface. As a class, they and picocli's {@code RunLast}
   * start from the archive.
   */
  private static final class Handling
      implements CommandLine.IExecutionStrategy,
          CommandLine.IExecutionExceptionHandler,
          CommandLine.IParameterExceptionHandler {
    @Override
    public int execute(ParseResult parseResult) {
      return executeKeepingLogging(parseResult);
    }

    @Override
    public int handleExecutionException(Exception e, CommandLine cmd, ParseResult parseResult) {
      return Cli.handleExecutionException(e, cmd, parseResult);
    }

    @Override
    public int handleParseException(CommandLine.ParameterException e, String[] args) {
      return handleParameterException(e, args);
    }
  }

  /** Adds to {@code spec} the options {@link #run} reads, and {@code --format}. */
  static void declareRun(CommandSpec spec) {
    CommonOptions.declare(spec);
    SourceOptions.declare(spec);
    ConfigOption.declare(spec);
    TargetArgs.declare(spec);
    RunOptions.declare(spec);
    OriginOptions.declare(spec);
    FormatOption.declare(spec);
  }

  /**
   * The builder of the run that {@code plan}, {@code status} and {@code apply} share, so a dry run
   * takes the same path as the apply: from {@code spec}'s options, with the configuration {@code
   * file} already applied to them.
   */
  static Run.Builder run(CommandSpec spec, Optional<ConfigFile> file) {
    return run(spec, file, false);
  }

  /**
   * As {@link #run(CommandSpec, Optional)}; with {@code changes} (an apply), a {@code file:} source
   * must be one only root or this user can change.
   */
  static Run.Builder run(CommandSpec spec, Optional<ConfigFile> file, boolean changes) {
    CommonOptions common = CommonOptions.of(spec);
    SourceOptions source = SourceOptions.of(spec);
    TargetArgs targetArgs = TargetArgs.of(spec, file);
    RunOptions runOptions = RunOptions.of(spec);
    StateDir state = common.stateDir();
    return Run.builder()
        .source(changes ? source.trustedRangeSource(state) : source.rangeSource(state))
        .targets(targetArgs.resolve())
        .options(targetArgs.options(source.families()))
        .guards(runOptions.guards(source.guards()))
        .fallback(runOptions.fallback())
        .stopWhen(Main.STOPPING::get)
        // Without --verbose no command's DEBUG record is shown: an unlogged runner asks for no
        // logger, so a run that logs nothing else skips the JDK's first logger lookup.
        .runner(
            new StopBoundRunner(
                Logging.showsLibraryDebug()
                    ? CommandRunner.system()
                    : CommandRunner.systemUnlogged(),
                Main::leftToStop))
        .stateDir(state);
  }

  /**
   * Runs the command with its logging ({@code --verbose}, {@code --quiet}) and puts the logging
   * back afterwards, so the flags do not outlive the command.
   */
  private static int executeKeepingLogging(ParseResult parseResult) {
    Logging.Verbosity verbosity = Logging.of(parseResult);
    try (Logging logging =
        Logging.install(verbosity, parseResult.commandSpec().commandLine().getErr())) {
      int code = new CommandLine.RunLast().execute(parseResult);
      return checkOutput(parseResult, code, verbosity);
    }
  }

  /**
   * {@code code}, or {@link #ERROR} with a sentence on stderr when what the command printed could
   * not be written: a {@link java.io.PrintWriter} keeps such an error to itself, and a run whose
   * output was lost (a full disk, a closed pipe) must not look like a success.
   */
  private static int checkOutput(ParseResult parseResult, int code, Logging.Verbosity verbosity) {
    ParseResult last = parseResult;
    while (last.subcommand() != null) {
      last = last.subcommand();
    }
    CommandLine cmd = last.commandSpec().commandLine();
    PrintWriter out = cmd.getOut();
    if (!out.checkError()) {
      return code;
    }
    String why =
        out instanceof StandardOutput s
            ? s.failure().map(e -> ": " + Printable.of(Printable.message(e))).orElse("")
            : "";
    cmd.getErr()
        .println(
            Logging.line(
                System.Logger.Level.ERROR, "could not write to standard output" + why, verbosity));
    cmd.getErr().flush();
    return ERROR;
  }

  private static int handleParameterException(CommandLine.ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    String message =
        showingArgs(Mistakes.explain(e, args), List.of(args))
            + " (see '"
            + cmd.getCommandSpec().qualifiedName()
            + " --help')";
    cmd.getErr()
        .println(Logging.line(System.Logger.Level.ERROR, message, Logging.Verbosity.NORMAL));
    if (cmd.getCommandSpec().findOption("--format") != null && asksForJson(args)) {
      Json.printError(
          cmd.getOut(), Json.name(cmd.getCommandSpec()), Printable.withoutControls(message));
    }
    return ERROR;
  }

  /**
   * Whether {@code args} say {@code --format json} as they stand: a command line that could not be
   * parsed still answers a JSON reader with one object when it asked for one.
   */
  private static boolean asksForJson(String[] args) {
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--")) {
        return false;
      }
      if (args[i].equals("--format=json")
          || (args[i].equals("--format") && i + 1 < args.length && args[i + 1].equals("json"))) {
        return true;
      }
    }
    return false;
  }

  /**
   * {@code message} with every value of {@code args} it quotes that is not fit to show as it stands
   * (a control character, more than {@link Printable#MAX} characters) shown as {@link Printable}
   * shows it: escaped and cut short. picocli and the library quote a refused value whole.
   */
  static String showingArgs(String message, List<String> args) {
    List<String> values = new ArrayList<>();
    for (String arg : args) {
      values.add(arg);
      int eq = arg.indexOf('=');
      if (arg.startsWith("-") && eq > 0) {
        values.add(arg.substring(eq + 1));
      }
    }
    // The longest first, so that a value is not cut inside a longer one that holds it.
    values.sort(Comparator.comparingInt(String::length).reversed());
    String shown = message;
    for (String value : values) {
      String printable = Printable.of(value);
      if (!value.isEmpty() && !printable.equals(value) && shown.contains(value)) {
        shown = shown.replace(value, printable);
      }
    }
    return shown;
  }

  private static int handleExecutionException(
      Exception e, CommandLine cmd, ParseResult parseResult) {
    Logging.Verbosity verbosity = Logging.of(parseResult);
    if (verbosity == Logging.Verbosity.VERBOSE) {
      e.printStackTrace(cmd.getErr());
    }
    String message = showingArgs(message(e), parseResult.originalArgs());
    cmd.getErr().println(Logging.line(System.Logger.Level.ERROR, message, verbosity));
    Json.printError(cmd, parseResult, Printable.withoutControls(message));
    return ERROR;
  }

  /** The one-sentence message for {@code e}. */
  static String message(Throwable e) {
    if (e instanceof UncheckedIOException u) {
      e = u.getCause();
    }
    String text = e.getMessage();
    if (e instanceof java.nio.file.NoSuchFileException n && n.getReason() == null) {
      text = e.getMessage() + ": no such file or directory";
    } else if (e instanceof java.nio.file.AccessDeniedException a && a.getReason() == null) {
      text = e.getMessage() + ": permission denied";
    } else if (text == null || text.isBlank()) {
      text = e.getClass().getSimpleName();
    } else if (!(e instanceof CfAllowlistException
        || e instanceof IOException
        || e instanceof IllegalArgumentException)) {
      text = "unexpected " + e.getClass().getSimpleName() + ": " + text;
    }
    return text.replace('\n', ' ');
  }

  /**
   * The version shown by {@code --version}: the tool's version, the commit it was built from, and
   * the date and ETag of the list embedded in it.
   */
  static final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
      return lines(Header.version(), buildCommit(), RangeSource.embedded().fetch());
    }

    static String[] lines(String version, String commit, RawRanges embedded) {
      return new String[] {
        "cf-allowlist " + version,
        "commit: " + commit,
        "embedded list: recorded "
            + embedded.fetchedAt().atOffset(ZoneOffset.UTC).toLocalDate()
            + ", etag "
            + embedded.etag().orElse("none")
      };
    }

    /** The commit recorded at build time, or {@code unknown} when the build had none. */
    static String buildCommit() throws IOException {
      try (InputStream in = Cli.class.getResourceAsStream("build.properties")) {
        Properties p = new Properties();
        if (in != null) {
          p.load(in);
        }
        String commit = p.getProperty("commit", "").strip();
        return commit.isEmpty() ? "unknown" : commit;
      }
    }
  }
}
