package io.github.cfallowlist.cli;

import io.github.cfallowlist.CfAllowlistException;
import io.github.cfallowlist.Header;
import io.github.cfallowlist.RangeSource;
import io.github.cfallowlist.RawRanges;
import io.github.cfallowlist.Run;
import io.github.cfallowlist.StateDir;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.function.Supplier;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.ParseResult;

/** The top-level command and the error handling shared by every subcommand. */
@Command(
    name = "cf-allowlist",
    mixinStandardHelpOptions = true,
    versionProvider = Cli.Version.class,
    description = {
      "Keeps the firewall (nftables, iptables/ip6tables/ipset, firewalld) and nginx's real-IP"
          + " trust list in step with Cloudflare's published IP ranges.",
      "",
      "Exit codes: 0 done / in sync; 1 a target refused or failed (other targets may have been"
          + " applied) or bad input; 2 changes pending (plan, status, apply --dry-run) or an"
          + " address outside the ranges (check)."
    })
public final class Cli implements Runnable {
  /** Exit status: done, in sync, no changes. */
  public static final int OK = 0;

  /** Exit status: error, nothing changed. */
  public static final int ERROR = 1;

  /** Exit status: changes pending, or an address outside the ranges. */
  public static final int CHANGES = 2;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** The subcommands by name, built only when needed. */
  private static final Map<String, Supplier<Object>> SUBCOMMANDS = new LinkedHashMap<>();

  static {
    SUBCOMMANDS.put("fetch", FetchCommand::new);
    SUBCOMMANDS.put("check", CheckCommand::new);
    SUBCOMMANDS.put("render", RenderCommand::new);
    SUBCOMMANDS.put("plan", PlanCommand::new);
    SUBCOMMANDS.put("apply", ApplyCommand::new);
    SUBCOMMANDS.put("status", StatusCommand::new);
    SUBCOMMANDS.put("doctor", DoctorCommand::new);
    SUBCOMMANDS.put("config", ConfigCommand::new);
    SUBCOMMANDS.put("generate-completion", AutoComplete.GenerateCompletion::new);
    SUBCOMMANDS.put("help", CommandLine.HelpCommand::new);
  }

  /**
   * A command line for {@code args} with this tool's error handling: one sentence on stderr, exit
   * 1. When {@code args} starts with a subcommand, only that one is built: picocli's model of every
   * subcommand is the largest part of a cold start.
   */
  public static CommandLine commandLine(String... args) {
    CommandLine cmd = new CommandLine(new Cli());
    // `help COMMAND` needs every command.
    Supplier<Object> only =
        args.length > 0 && !args[0].equals("help") ? SUBCOMMANDS.get(args[0]) : null;
    if (only != null) {
      cmd.addSubcommand(args[0], only.get());
    } else {
      SUBCOMMANDS.forEach((name, factory) -> cmd.addSubcommand(name, factory.get()));
    }
    for (CommandLine sub : cmd.getSubcommands().values()) {
      sub.getCommandSpec().versionProvider(new Version());
    }
    cmd.setExecutionStrategy(Cli::executeKeepingLogging);
    cmd.setExecutionExceptionHandler(Cli::handleExecutionException);
    cmd.setParameterExceptionHandler(Cli::handleParameterException);
    return cmd;
  }

  /**
   * The builder of the run that {@code plan}, {@code status} and {@code apply} share, so a dry run
   * takes the same path as the apply.
   */
  static Run.Builder run(
      CommonOptions common, SourceOptions source, TargetArgs targetArgs, RunOptions runOptions) {
    StateDir state = common.stateDir();
    return Run.builder()
        .source(source.rangeSource(state))
        .targets(targetArgs.resolve())
        .options(targetArgs.options(source.families()))
        .guards(runOptions.guards(source.guards()))
        .fallback(runOptions.fallback())
        .stopWhen(Main.STOPPING::get)
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
      return new CommandLine.RunLast().execute(parseResult);
    }
  }

  private static int handleParameterException(CommandLine.ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    cmd.getErr()
        .println(
            "cf-allowlist: "
                + Mistakes.explain(e, args)
                + " (see '"
                + cmd.getCommandSpec().qualifiedName()
                + " --help')");
    return ERROR;
  }

  private static int handleExecutionException(
      Exception e, CommandLine cmd, ParseResult parseResult) {
    Logging.Verbosity verbosity = Logging.of(parseResult);
    if (verbosity == Logging.Verbosity.VERBOSE) {
      e.printStackTrace(cmd.getErr());
    }
    cmd.getErr().println(Logging.line(java.util.logging.Level.SEVERE, message(e), verbosity));
    Json.printError(cmd, parseResult, message(e));
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
