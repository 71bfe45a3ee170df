package dev.herald.docs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A fenced code block of a Markdown file.
 *
 * @param info the fence's info string (the language: bash, java, python, csv, properties, text,
 *     or empty for a wire transcript)
 * @param note the text of an HTML comment on the line just above the fence, if any
 *     ({@code <!-- file: elements.csv -->}, {@code <!-- not run: REASON -->})
 */
record CodeBlock(Path file, int line, String info, String text, Optional<String> note) {
  private static final Pattern COMMENT = Pattern.compile("^\\s*<!--\\s*(.*?)\\s*-->\\s*$");

  static List<CodeBlock> parse(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file);
    List<CodeBlock> out = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String l = lines.get(i);
      if (!l.startsWith("```")) {
        continue;
      }
      String info = l.substring(3).strip();
      Optional<String> note = Optional.empty();
      if (i > 0) {
        Matcher m = COMMENT.matcher(lines.get(i - 1));
        if (m.matches()) {
          note = Optional.of(m.group(1));
        }
      }
      StringBuilder text = new StringBuilder();
      int start = i + 1;
      i++;
      while (i < lines.size() && !lines.get(i).startsWith("```")) {
        text.append(lines.get(i)).append('\n');
        i++;
      }
      if (i == lines.size()) {
        throw new IllegalStateException(file + ":" + start + ": a code block is not closed");
      }
      out.add(new CodeBlock(file, start, info, text.toString(), note));
    }
    return out;
  }

  /** The file name a block is saved as, from {@code <!-- file: NAME -->}. */
  Optional<String> fileName() {
    return note.filter(n -> n.startsWith("file:")).map(n -> n.substring(5).strip());
  }

  /** Why a block is not run, from {@code <!-- not run: REASON -->}. */
  Optional<String> notRunReason() {
    return note.filter(n -> n.startsWith("not run:")).map(n -> n.substring(8).strip());
  }

  String where() {
    return file.getFileName() + ":" + line;
  }
}
