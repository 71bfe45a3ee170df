package dev.herald.server;

/** Prints the old generation {@link HeapTrim} would watch under this JVM's collector ({@code none}). */
public final class HeapTrimProbe {
  private HeapTrimProbe() {}

  public static void main(String[] args) {
    var pool = HeapTrim.oldPool();
    System.out.println(pool == null ? "none" : pool.getName());
  }
}
