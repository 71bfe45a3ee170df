package dev.herald.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * The parser of client messages never throws, whatever arrives; what it accepts it writes back
 * the same (a subscribe's JSON parses to an equal command).
 */
class CommandFuzzTest {
  @FuzzTest(maxDuration = "20s")
  void anyText_parsesWithoutThrowing_andSubscribesRoundTrip(String text) {
    Command c = Command.parse(text);
    assertThat(c).isNotNull();
    if (c instanceof Command.Subscribe s) {
      assertThat(Command.parse(s.toJson())).isEqualTo(s);
    }
    if (c instanceof Command.Unsubscribe u) {
      assertThat(Command.parse(u.toJson())).isEqualTo(u);
    }
  }
}
