package io.github.cfallowlist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class CommandTest {

  @Test
  void displayJoinsTheArgumentsWithSpaces() {
    assertThat(Command.read("nft", "-j", "list", "table", "inet", "cf_allowlist").display())
        .isEqualTo("nft -j list table inet cf_allowlist");
  }

  @Test
  void displayShowsAScriptArgumentByItsFirstLineOnly() {
    Command c =
        Command.modify("python3", "-I", "-c", "# set entries\nimport sys\nprint(1)\n", "runtime");

    assertThat(c.display()).isEqualTo("python3 -I -c <set entries> runtime");
    assertThat(c.argv()).hasSize(5);
  }

  @Test
  void anArgumentHoldingANulIsRefused() {
    assertThatThrownBy(() -> Command.read(List.of("echo", "a\0b")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NUL");
  }

  @Test
  void aTimeoutThatIsNotPositiveIsRefused() {
    Command command = Command.read("true");
    assertThatThrownBy(() -> command.withTimeout(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("timeout (PT-1S) must be positive");
    assertThatThrownBy(() -> command.withTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
