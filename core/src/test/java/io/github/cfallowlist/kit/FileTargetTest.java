package io.github.cfallowlist.kit;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.testing.SystemTests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileTargetTest {
  @TempDir Path dir;

  @Test
  void theNearestMountAboveAPathDecidesAndABindMountCountsAsItsOwn() throws Exception {
    // systemd's ProtectSystem=strict with ReadWritePaths=/etc/caddy: "/" read-only, a writable
    // bind mount of the same file system under it, and a later mount over an earlier one.
    Path mountinfo =
        Files.writeString(
            dir.resolve("mountinfo"),
            String.join(
                "\n",
                "22 1 8:1 / / ro,relatime shared:1 - ext4 /dev/sda1 rw",
                "90 22 8:1 /etc/caddy /etc/caddy rw,relatime shared:1 - ext4 /dev/sda1 rw",
                "91 22 0:40 / /srv/my\\040site rw - tmpfs tmpfs rw",
                "92 22 0:41 / /srv/my\\040site ro - tmpfs tmpfs ro",
                "93 22 8:2 / /var/lib rw,relatime shared:7 master:2 - ext4 /dev/sda2 ro,errors=remount-ro",
                ""));

    assertThat(FileTarget.readOnlyMount(Path.of("/etc/caddy"), mountinfo)).isFalse();
    assertThat(FileTarget.readOnlyMount(Path.of("/etc/caddy/sites"), mountinfo)).isFalse();
    assertThat(FileTarget.readOnlyMount(Path.of("/etc/caddyx"), mountinfo)).isTrue();
    assertThat(FileTarget.readOnlyMount(Path.of("/etc/nginx/conf.d"), mountinfo)).isTrue();
    assertThat(FileTarget.readOnlyMount(Path.of("/srv/my site/conf"), mountinfo)).isTrue();
    assertThat(FileTarget.readOnlyMount(Path.of("/var/lib/x"), mountinfo))
        .as("a file system remounted read-only, its mount still rw")
        .isTrue();
  }

  @Test
  void aWritableBindMountUnderAReadOnlyOneIsWritten() throws Exception {
    SystemTests.requireTools("mount", "umount");
    Path readOnly = Files.createDirectories(dir.resolve("etc"));
    Path writable = Files.createDirectories(readOnly.resolve("caddy"));
    try {
      run("mount", "--bind", readOnly.toString(), readOnly.toString());
      run("mount", "-o", "remount,bind,ro", readOnly.toString());
      run("mount", "--bind", writable.toString(), writable.toString());
      run("mount", "-o", "remount,bind,rw", writable.toString());

      assertThat(FileTarget.missingDirectory(writable.resolve("cloudflare.caddy"))).isEmpty();
      assertThat(FileTarget.missingDirectory(readOnly.resolve("cloudflare.conf")))
          .contains(
              "cannot write "
                  + readOnly.resolve("cloudflare.conf")
                  + ": "
                  + readOnly
                  + " is on a file system mounted read-only (under systemd, a ReadWritePaths="
                  + " the unit lacks)");
    } finally {
      // Lazily, so a mount left busy cannot stay behind under /tmp.
      new ProcessBuilder("umount", "-l", writable.toString()).start().waitFor();
      new ProcessBuilder("umount", "-l", readOnly.toString()).start().waitFor();
    }
  }

  private static void run(String... argv) throws Exception {
    Process p = new ProcessBuilder(List.of(argv)).inheritIO().start();
    assertThat(p.waitFor()).as(String.join(" ", argv)).isZero();
  }
}
