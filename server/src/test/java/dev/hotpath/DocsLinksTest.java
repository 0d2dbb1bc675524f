package dev.hotpath;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The README linked to a design file outside the repository (issue 15): every relative link in
 * README.md and docs/*.md must resolve, on a clone, to a file or folder inside the repository.
 */
class DocsLinksTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  /** {@code [text](target)} and {@code [text](target "title")}, images included. */
  private static final Pattern LINK =
      Pattern.compile("\\]\\(\\s*<?([^)\\s>]+)>?(?:\\s+\"[^\"]*\")?\\)");

  /** {@code [label]: target} reference definitions. */
  private static final Pattern REFERENCE =
      Pattern.compile("^\\s{0,3}\\[[^\\]]+\\]:\\s*<?([^\\s>]+)>?", Pattern.MULTILINE);

  @Test
  void everyRelativeLinkInTheReadmeAndDocsResolvesInsideTheRepository() throws IOException {
    List<Path> files = new ArrayList<>();
    files.add(ROOT.resolve("README.md"));
    try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
    }
    assertThat(files).contains(ROOT.resolve("docs/architecture.md"));
    List<String> broken = new ArrayList<>();
    int checked = 0;
    for (Path file : files) {
      for (String target : links(Files.readString(file))) {
        if (target.startsWith("#") || target.matches("(?i)(https?|mailto):.*")) {
          continue; // an anchor in the same page, or a page on the web
        }
        checked++;
        String path = target.replaceAll("[#?].*$", "");
        Path resolved = file.getParent().resolve(path).normalize();
        if (target.matches("(?i)[a-z][a-z0-9+.-]*:.*") || path.startsWith("/")) {
          broken.add(ROOT.relativize(file) + ": " + target + " (not a relative link)");
        } else if (!resolved.startsWith(ROOT)) {
          broken.add(ROOT.relativize(file) + ": " + target + " leaves the repository");
        } else if (!Files.exists(resolved)) {
          broken.add(ROOT.relativize(file) + ": " + target + " does not exist");
        }
      }
    }
    assertThat(broken).isEmpty();
    assertThat(checked).as("relative links checked").isGreaterThan(10);
  }

  @Test
  void theCheckCatchesALinkThatLeavesTheRepositoryOrPointsNowhere() {
    assertThat(links("See [the design](../shared/DESIGN.md) and [x](docs/none.md \"t\")."))
        .containsExactly("../shared/DESIGN.md", "docs/none.md");
    assertThat(ROOT.resolve("../shared/DESIGN.md").normalize().startsWith(ROOT)).isFalse();
    assertThat(links("```\n[not a link](../outside.md)\n```\n[ref]: ../outside.md\n"))
        .containsExactly("../outside.md");
  }

  /** Link targets outside fenced code blocks, where brackets are not links. */
  static List<String> links(String markdown) {
    StringBuilder prose = new StringBuilder();
    boolean fenced = false;
    for (String line : markdown.split("\n", -1)) {
      if (line.stripLeading().startsWith("```")) {
        fenced = !fenced;
        continue;
      }
      if (!fenced) {
        prose.append(line.replaceAll("`[^`]*`", "``")).append('\n');
      }
    }
    List<String> targets = new ArrayList<>();
    Matcher m = LINK.matcher(prose);
    while (m.find()) {
      targets.add(m.group(1));
    }
    Matcher r = REFERENCE.matcher(prose);
    while (r.find()) {
      targets.add(r.group(1));
    }
    return targets;
  }
}
