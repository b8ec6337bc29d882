package io.github.cfallowlist;

import java.util.List;
import java.util.ServiceLoader;
import java.util.TreeSet;

/** Finds the targets on the class path. */
public final class Targets {
  private Targets() {}

  /**
   * The target called {@code name}.
   *
   * @throws IllegalArgumentException naming the known targets when there is none by that name
   */
  public static Target byName(String name) {
    for (Target t : ServiceLoader.load(Target.class, Targets.class.getClassLoader())) {
      if (t.name().equals(name)) {
        return t;
      }
    }
    throw new IllegalArgumentException(
        "target '" + name + "' is not one of " + String.join(", ", names()));
  }

  /** The names of all targets found, sorted. */
  public static List<String> names() {
    TreeSet<String> names = new TreeSet<>();
    ServiceLoader.load(Target.class, Targets.class.getClassLoader())
        .forEach(t -> names.add(t.name()));
    return List.copyOf(names);
  }
}
