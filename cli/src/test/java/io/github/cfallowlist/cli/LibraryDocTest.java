package io.github.cfallowlist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code java} block of docs/library.md is compiled exactly as written against the built
 * jars, then run in a child JVM with the network source swapped for the embedded list and /etc
 * paths and reload commands swapped for a scratch directory and {@code true}.
 */
class LibraryDocTest {
  private static final Pattern JAVA_BLOCK = Pattern.compile("```java\n(.*?)```", Pattern.DOTALL);
  private static final Pattern PACKAGE = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE);
  private static final Pattern CLASS = Pattern.compile("public final class (\\w+)");

  @TempDir Path dir;
  private String doc;
  private Path classes;

  @BeforeEach
  void readDoc() throws Exception {
    doc = Files.readString(Path.of("..", "docs", "library.md"), StandardCharsets.UTF_8);
    classes = dir.resolve("local");
  }

  private static List<String> javaBlocks(String markdown) {
    List<String> blocks = new ArrayList<>();
    Matcher m = JAVA_BLOCK.matcher(markdown);
    while (m.find()) {
      blocks.add(m.group(1));
    }
    return blocks;
  }

  /** Compiles every block into {@code out}; each block is one compilation unit. */
  private static void compile(List<String> blocks, Path out) throws Exception {
    Path src = out.resolve("src");
    List<java.io.File> files = new ArrayList<>();
    for (String block : blocks) {
      Matcher pkg = PACKAGE.matcher(block);
      Matcher cls = CLASS.matcher(block);
      assertThat(pkg.find()).as("package in %s", block).isTrue();
      assertThat(cls.find()).as("public final class in %s", block).isTrue();
      Path file = src.resolve(pkg.group(1).replace('.', '/')).resolve(cls.group(1) + ".java");
      Files.createDirectories(file.getParent());
      Files.writeString(file, block);
      files.add(file.toFile());
    }
    JavaSources.compile(files, out, "-Werror");
  }

  /** The blocks with the host's paths and the network replaced; each replacement must apply. */
  private List<String> localBlocks() {
    Path state = dir.resolve("state");
    Map<String, String> swaps = new LinkedHashMap<>();
    swaps.put("RangeSource.cloudflare()", "RangeSource.embedded()");
    swaps.put(
        "Run.builder()",
        "Run.builder().stateDir(io.github.cfallowlist.StateDir.at(java.nio.file.Path.of(\""
            + state
            + "\"))).lockFile(java.nio.file.Path.of(\""
            + dir.resolve("lock")
            + "\"))");
    swaps.put("\"/etc/nginx/conf.d/cloudflare-real-ip.conf\"", quoted(dir.resolve("real-ip.conf")));
    swaps.put("\"/etc/haproxy/cloudflare.acl\"", quoted(dir.resolve("cloudflare.acl")));
    swaps.put("\"nginx -t\"", "\"true\"");
    swaps.put("\"systemctl reload nginx\"", "\"true\"");
    swaps.put("\"systemctl reload haproxy\"", quoted("test ! -e " + dir.resolve("reload-fails")));
    String all = String.join("\n", javaBlocks(doc));
    swaps.keySet().forEach(k -> assertThat(all).as("the examples use %s", k).contains(k));
    List<String> out = new ArrayList<>();
    for (String block : javaBlocks(doc)) {
      for (Map.Entry<String, String> e : swaps.entrySet()) {
        block = block.replace(e.getKey(), e.getValue());
      }
      out.add(block);
    }
    return out;
  }

  private static String quoted(Object p) {
    return "\"" + p + "\"";
  }

  /** Compiles the local blocks and adds the services file the doc shows. */
  private void buildLocal() throws Exception {
    compile(localBlocks(), classes);
    int services = doc.indexOf("Its jar lists it in");
    int start = doc.indexOf("```text\n", services) + "```text\n".length();
    String registration = doc.substring(start, doc.indexOf("```", start));
    assertThat(services).isPositive();
    Path file = classes.resolve("META-INF/services/io.github.cfallowlist.Target");
    Files.createDirectories(file.getParent());
    Files.writeString(file, registration);
  }

  @Test
  void everyExampleCompilesAsWritten() throws Exception {
    List<String> blocks = javaBlocks(doc);
    assertThat(blocks).hasSize(5);
    compile(blocks, dir.resolve("as-written"));
  }

  @Test
  void provisioningPlansThenAppliesAndThenIsInSync() throws Exception {
    buildLocal();
    Result first = runJava("com.example.provision.Provision");
    assertThat(first.exit()).as(first.err()).isZero();
    assertThat(first.out())
        .isEqualTo(
            "fetched 22 ranges\n"
                + "plan: nginx WOULD_CHANGE, would change +22 -0 ranges (IPv4 +15, IPv6 +7), new"
                + " install\n"
                + "apply: nginx APPLIED, applied +22 -0 ranges (IPv4 +15, IPv6 +7), new install\n");
    assertThat(dir.resolve("real-ip.conf")).content().contains("set_real_ip_from 173.245.48.0/20;");
    assertThat(dir.resolve("state/last-good.json")).doesNotExist();

    Result second = runJava("com.example.provision.Provision");
    assertThat(second.out())
        .contains("plan: nginx IN_SYNC, in sync, no changes (22 ranges)")
        .contains("apply: nginx IN_SYNC, in sync, no changes (22 ranges)");
  }

  @Test
  void ciCheckPassesOnTheCommittedExampleAndFlagsAnOutdatedFile() throws Exception {
    buildLocal();
    Path committed = Path.of("..", "docs", "examples", "cf_allowlist.nft").toAbsolutePath();
    Result inSync = runJava("com.example.ci.CheckCommittedRules", committed.toString());
    assertThat(inSync.exit()).as(inSync.err()).isZero();
    assertThat(inSync.out()).isEqualTo("nftables: in sync, no changes (22 ranges)\n");

    Path outdated = dir.resolve("outdated.nft");
    Files.writeString(outdated, Files.readString(committed).replace("\t173.245.48.0/20,\n", ""));
    assertThat(outdated).content().isNotEqualTo(Files.readString(committed));
    Result changed = runJava("com.example.ci.CheckCommittedRules", outdated.toString());
    assertThat(changed.exit()).isEqualTo(2);
    assertThat(changed.out())
        .startsWith("nftables: would change +1 -0 ranges")
        .contains("+\t173.245.48.0/20,");
  }

  @Test
  void customSourceIsValidatedByTheGuards() throws Exception {
    buildLocal();
    Path lists = Files.createDirectories(dir.resolve("lists"));
    Files.writeString(lists.resolve("ipv4.txt"), String.join("\n", embedded(true)) + "\n");
    Files.writeString(lists.resolve("ipv6.txt"), String.join("\n", embedded(false)) + "\n");
    Result good = runJava("com.example.source.DirectorySource", lists.toString());
    assertThat(good.exit()).as(good.err()).isZero();
    assertThat(good.out()).isEqualTo("15 IPv4 and 7 IPv6 ranges from directory " + lists + "\n");

    Files.writeString(
        lists.resolve("ipv4.txt"), "2400:cb00::/32\n", java.nio.file.StandardOpenOption.APPEND);
    Result refused = runJava("com.example.source.DirectorySource", lists.toString());
    assertThat(refused.exit()).isNotZero();
    assertThat(refused.err()).contains("RejectedRangesException").contains("2400:cb00::/32");
  }

  @Test
  void customTargetIsFoundThroughServicesAndKeepsItsFile() throws Exception {
    buildLocal();
    Result first = runJava("com.example.haproxy.KeepHaproxyInStep");
    assertThat(first.exit()).as(first.err()).isZero();
    assertThat(first.out())
        .isEqualTo(
            "haproxy-acl: APPLIED, applied +22 -0 ranges (IPv4 +15, IPv6 +7), new install\n");
    assertThat(dir.resolve("cloudflare.acl"))
        .content()
        .startsWith("# Cloudflare ranges, kept by cf-allowlist\n103.21.244.0/22\n")
        .endsWith("2c0f:f248::/32\n");
    assertThat(runJava("com.example.haproxy.KeepHaproxyInStep").out())
        .isEqualTo("haproxy-acl: IN_SYNC, in sync, no changes (22 ranges)\n");
  }

  @Test
  void customTargetWhoseReloadFailsPutsItsFileBackAndIsNotTakenForInSync() throws Exception {
    buildLocal();
    assertThat(runJava("com.example.haproxy.KeepHaproxyInStep").exit()).isZero();
    Path acl = dir.resolve("cloudflare.acl");
    String edited = Files.readString(acl).replace("173.245.48.0/20\n", "");
    Files.writeString(acl, edited);
    Files.createFile(dir.resolve("reload-fails"));

    Result failed = runJava("com.example.haproxy.KeepHaproxyInStep");
    Result again = runJava("com.example.haproxy.KeepHaproxyInStep");

    assertThat(failed.out())
        .startsWith("haproxy-acl: FAILED_RESTORED, 'test ! -e ")
        .endsWith("the previous state was put back (verified by reading back)\n");
    assertThat(acl).hasContent(edited);
    assertThat(again.out()).startsWith("haproxy-acl: FAILED_RESTORED");
  }

  private static List<String> embedded(boolean ipv4) {
    CliRun run = CliRun.of("fetch", "--source", "embedded", "--family", ipv4 ? "ipv4" : "ipv6");
    assertThat(run.exitCode()).isZero();
    return run.out().lines().toList();
  }

  private record Result(int exit, String out, String err) {}

  private Result runJava(String mainClass, String... args) throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of(
                ProcessHandle.current().info().command().orElseThrow(),
                "-cp",
                classes + ":" + System.getProperty("java.class.path"),
                mainClass));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectError(dir.resolve("stderr").toFile()).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Result(p.exitValue(), out, Files.readString(dir.resolve("stderr")));
  }
}
