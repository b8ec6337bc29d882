package io.github.cfallowlist;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Options shared by all targets, plus target-specific settings by name (for example {@code
 * nft-table} or {@code nginx-file}). Each target declares the settings it reads ({@link
 * Target#settings()}); a key no target declares, or a malformed value, is refused before anything
 * is read or changed.
 *
 * @param ports TCP ports the firewall targets manage, sorted, default 80 and 443
 * @param mode restrict (default) or allow
 * @param families the families managed
 * @param settings target-specific settings
 */
public record TargetOptions(
    List<Integer> ports, Mode mode, Families families, Map<String, String> settings) {

  /** Sorts and copies the ports and settings, and checks each port is valid. */
  public TargetOptions {
    if (ports == null || mode == null || families == null || settings == null) {
      throw new IllegalArgumentException("ports, mode, families and settings must not be null");
    }
    if (ports.isEmpty()) {
      throw new IllegalArgumentException("ports is empty");
    }
    for (Integer p : ports) {
      if (p == null || p < 1 || p > 65535) {
        throw new IllegalArgumentException("port " + p + " is not between 1 and 65535");
      }
    }
    ports = List.copyOf(new TreeSet<>(ports));
    for (Map.Entry<String, String> e : settings.entrySet()) {
      requireSetting(e.getKey(), e.getValue());
    }
    settings = Map.copyOf(new TreeMap<>(settings));
  }

  /** Ports 80 and 443, restrict mode, both families, no settings. */
  public static TargetOptions defaults() {
    return new TargetOptions(List.of(80, 443), Mode.RESTRICT, Families.BOTH, Map.of());
  }

  /** These options with other ports. */
  public TargetOptions withPorts(List<Integer> value) {
    return new TargetOptions(value, mode, families, settings);
  }

  /** These options with another mode. */
  public TargetOptions withMode(Mode value) {
    return new TargetOptions(ports, value, families, settings);
  }

  /** These options for other families. */
  public TargetOptions withFamilies(Families value) {
    return new TargetOptions(ports, mode, value, settings);
  }

  /** These options with {@code key} set to {@code value}. */
  public TargetOptions withSetting(String key, String value) {
    requireSetting(key, value);
    Map<String, String> copy = new TreeMap<>(settings);
    copy.put(key, value);
    return new TargetOptions(ports, mode, families, copy);
  }

  private static void requireSetting(String key, String value) {
    if (key == null) {
      throw new IllegalArgumentException("a setting has no name (null)");
    }
    if (value == null) {
      throw new IllegalArgumentException(
          "setting " + key + " has no value (null); leave it out instead");
    }
  }

  /** The setting {@code key}, if set. */
  public Optional<String> setting(String key) {
    return Optional.ofNullable(settings.get(key));
  }

  /** These options with only the settings named in {@code keys}. */
  public TargetOptions onlySettings(java.util.Collection<String> keys) {
    Map<String, String> copy = new TreeMap<>(settings);
    copy.keySet().retainAll(keys);
    return new TargetOptions(ports, mode, families, copy);
  }

  /**
   * These options with only the settings {@code target} declares: one set of options can serve
   * several targets, each seeing its own settings.
   */
  public TargetOptions forTarget(Target target) {
    return onlySettings(target.settings().stream().map(Setting::name).toList());
  }

  /** The value of {@code setting} here, or its default. */
  public <T> T get(Setting<T> setting) {
    return setting.from(this);
  }
}
