package io.github.cfallowlist;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A null where a value belongs is refused by name, as the other malformed inputs are. */
class NullInputsTest {
  private static final Cidr ONE = Cidr.parse("173.245.48.0/20");

  @Test
  void aSettingWithoutAValueIsRefusedNamingTheSetting() {
    assertThatThrownBy(() -> TargetOptions.defaults().withSetting("nginx-file", null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("setting nginx-file has no value (null); leave it out instead");
    assertThatThrownBy(() -> TargetOptions.defaults().withSetting(null, "/etc/x.conf"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a setting has no name (null)");
    Map<String, String> settings = new HashMap<>();
    settings.put("nginx-file", null);
    assertThatThrownBy(
            () -> new TargetOptions(List.of(443), Mode.RESTRICT, Families.BOTH, settings))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("setting nginx-file has no value (null); leave it out instead");
  }

  @Test
  void aNullPrefixInARangeSetIsRefused() {
    assertThatThrownBy(() -> RangeSet.of(Arrays.asList(ONE, null)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("ranges holds a null prefix");
    List<Cidr> withNull = new ArrayList<>(Arrays.asList(Cidr.parse("198.41.128.0/17"), null));
    assertThatThrownBy(() -> new RangeSet(withNull, List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("IPv4 list holds a null prefix");
  }

  @Test
  void aNullEntryInAFetchedListIsRefusedNamingItsListAndLine() {
    RawRanges.RawList list =
        new RawRanges.RawList(
            "ips-v4", java.util.Optional.of(IpFamily.IPV4), Arrays.asList("173.245.48.0/20", null));

    RawRanges raw =
        new RawRanges(List.of(list), "test", java.util.Optional.empty(), java.time.Instant.EPOCH);

    assertThatThrownBy(() -> Guards.defaults().validate(raw))
        .isInstanceOf(RejectedRangesException.class)
        .hasMessage("a null entry in ips-v4 from test is not a CIDR");
  }

  @Test
  void aNullArgumentToSyncIsRefusedByName() {
    Target target = new SyncTest.FakeTarget();
    RangeSnapshot snapshot = io.github.cfallowlist.testing.TestSnapshots.embedded();
    TargetContext context = new TargetContext(TargetOptions.defaults(), CommandRunner.system());

    assertThatThrownBy(() -> Sync.sync(target, snapshot, context, null, true))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("guards == null");
    assertThatThrownBy(() -> Sync.plan(target, null, context))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("snapshot == null");
    assertThatThrownBy(() -> Sync.remove(null, context, true))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("target == null");
  }
}
