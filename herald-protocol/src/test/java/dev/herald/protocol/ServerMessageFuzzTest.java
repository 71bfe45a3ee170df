package dev.herald.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;

/** The one parser of server frames never throws: what it cannot read is Unknown. */
class ServerMessageFuzzTest {
  @FuzzTest(maxDuration = "20s")
  void anyFrame_parsesWithoutThrowing(String text) {
    assertThat(ServerMessage.parse(text)).isNotNull();
  }
}
