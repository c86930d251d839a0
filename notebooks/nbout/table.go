package nbout

import (
	"html"
	"strings"

	"github.com/janpfeifer/gonb/gonbui/protocol"
)

// Table shows md, Markdown made of "#" headings, pipe tables and plain
// paragraphs (such as the results tables of the toy study), as HTML, with md
// itself as the plain-text version that nbconvert saves and the notebook
// checks read. Unlike Markdown it shows formatted in a notebook that is not
// trusted: the classic Notebook skips Markdown output there in favour of
// plain text, while HTML is shown after sanitising, which keeps tables.
func Table(md string) {
	send(&protocol.DisplayData{
		Data: map[protocol.MIMEType]any{
			protocol.MIMETextHTML:  TableHTML(md),
			protocol.MIMETextPlain: md,
		},
	})
}

// TableHTML converts the subset of Markdown that Table shows to HTML: a line
// of one to six "#" and a space is a heading; consecutive lines starting with
// "|" are a table, whose first row is the header and whose second row, if it
// only holds "-", ":" and "|", is the alignment row and is skipped; other
// non-blank lines are paragraphs, one per run of lines. All text is escaped,
// so the result holds no markup from md.
func TableHTML(md string) string {
	var b strings.Builder
	lines := strings.Split(md, "\n")
	for i := 0; i < len(lines); {
		line := strings.TrimSpace(lines[i])
		switch {
		case line == "":
			i++
		case heading(line) > 0:
			n := heading(line)
			level := string(rune('0' + n))
			b.WriteString("<h" + level + ">" + html.EscapeString(strings.TrimSpace(line[n:])) + "</h" + level + ">\n")
			i++
		case strings.HasPrefix(line, "|"):
			b.WriteString("<table>\n")
			for row := 0; i < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i]), "|"); i++ {
				cells := splitRow(strings.TrimSpace(lines[i]))
				if row == 1 && alignRow(cells) {
					continue
				}
				tag := "td"
				if row == 0 {
					tag = "th"
				}
				b.WriteString("<tr>")
				for _, c := range cells {
					b.WriteString("<" + tag + ">" + html.EscapeString(c) + "</" + tag + ">")
				}
				b.WriteString("</tr>\n")
				row++
			}
			b.WriteString("</table>\n")
		default:
			var para []string
			for ; i < len(lines); i++ {
				l := strings.TrimSpace(lines[i])
				if l == "" || heading(l) > 0 || strings.HasPrefix(l, "|") {
					break
				}
				para = append(para, html.EscapeString(l))
			}
			b.WriteString("<p>" + strings.Join(para, "\n") + "</p>\n")
		}
	}
	return b.String()
}

// heading returns the level of a Markdown heading line, or 0.
func heading(line string) int {
	n := 0
	for n < len(line) && line[n] == '#' {
		n++
	}
	if n == 0 || n > 6 || n == len(line) || line[n] != ' ' {
		return 0
	}
	return n
}

// splitRow returns the trimmed cells of a pipe-table row "| a | b |".
func splitRow(line string) []string {
	line = strings.TrimSuffix(strings.TrimPrefix(line, "|"), "|")
	cells := strings.Split(line, "|")
	for i, c := range cells {
		cells[i] = strings.TrimSpace(c)
	}
	return cells
}

// alignRow reports whether cells form a table's alignment row (---, :--:).
func alignRow(cells []string) bool {
	for _, c := range cells {
		if c == "" || strings.Trim(c, "-:") != "" {
			return false
		}
	}
	return true
}
