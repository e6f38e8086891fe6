#include "tests/interop/pdml.h"

#include <cstdlib>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace mikey {
namespace interop {
namespace {

std::string DecodeEntities(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out.push_back(s[i]);
      continue;
    }
    size_t semi = s.find(';', i);
    if (semi == absl::string_view::npos) {
      out.push_back(s[i]);
      continue;
    }
    absl::string_view ent = s.substr(i + 1, semi - i - 1);
    if (ent == "lt") {
      out.push_back('<');
    } else if (ent == "gt") {
      out.push_back('>');
    } else if (ent == "amp") {
      out.push_back('&');
    } else if (ent == "quot") {
      out.push_back('"');
    } else if (ent == "apos") {
      out.push_back('\'');
    } else if (!ent.empty() && ent[0] == '#') {
      long code =
          ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X')
              ? std::strtol(std::string(ent.substr(2)).c_str(), nullptr, 16)
              : std::strtol(std::string(ent.substr(1)).c_str(), nullptr, 10);
      if (code > 0 && code < 0x80) {
        out.push_back(static_cast<char>(code));
      } else {
        out.push_back('?');  // non-ASCII: not needed by our checks
      }
    } else {
      out.append(s.substr(i, semi - i + 1).data(), semi - i + 1);
    }
    i = semi;
  }
  return out;
}

void SetAttribute(PdmlNode* node, absl::string_view key, std::string value) {
  if (key == "name") {
    node->name = std::move(value);
  } else if (key == "showname") {
    node->showname = std::move(value);
  } else if (key == "show") {
    node->show = std::move(value);
  } else if (key == "value") {
    node->value = std::move(value);
  } else if (key == "size") {
    long v;
    if (absl::SimpleAtoi(value, &v)) node->size = v;
  } else if (key == "pos") {
    long v;
    if (absl::SimpleAtoi(value, &v)) node->pos = v;
  } else if (key == "hide") {
    node->hidden = value == "yes";
  }
}

bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

}  // namespace

std::vector<const PdmlNode*> PdmlNode::Children(absl::string_view n) const {
  std::vector<const PdmlNode*> out;
  for (const PdmlNode& c : children) {
    if (n.empty() || c.name == n) out.push_back(&c);
  }
  return out;
}

const PdmlNode* PdmlNode::Child(absl::string_view n) const {
  for (const PdmlNode& c : children) {
    if (c.name == n) return &c;
  }
  return nullptr;
}

std::vector<const PdmlNode*> PdmlNode::FindAllWithPrefix(
    absl::string_view prefix) const {
  // Iterative pre-order walk.
  std::vector<const PdmlNode*> out;
  std::vector<std::pair<const PdmlNode*, size_t>> stack = {{this, 0}};
  while (!stack.empty()) {
    auto& top = stack.back();
    if (top.second == top.first->children.size()) {
      stack.pop_back();
      continue;
    }
    const PdmlNode* child = &top.first->children[top.second++];
    if (absl::StartsWith(child->name, prefix)) out.push_back(child);
    stack.push_back({child, 0});
  }
  return out;
}

std::vector<const PdmlNode*> PdmlNode::FindAll(absl::string_view n) const {
  std::vector<const PdmlNode*> out;
  for (const PdmlNode* p : FindAllWithPrefix(n)) {
    if (p->name == n) out.push_back(p);
  }
  return out;
}

const PdmlNode* PdmlNode::Find(absl::string_view n) const {
  std::vector<const PdmlNode*> all = FindAll(n);
  return all.empty() ? nullptr : all.front();
}

absl::StatusOr<std::vector<PdmlNode>> ParsePdml(absl::string_view xml) {
  PdmlNode root;
  root.tag = "#document";
  std::vector<PdmlNode*> stack = {&root};
  size_t i = 0;
  while (i < xml.size()) {
    size_t lt = xml.find('<', i);
    if (lt == absl::string_view::npos) break;
    if (xml.substr(lt, 2) == "<?") {
      size_t end = xml.find("?>", lt);
      if (end == absl::string_view::npos) break;
      i = end + 2;
      continue;
    }
    if (xml.substr(lt, 4) == "<!--") {
      size_t end = xml.find("-->", lt);
      if (end == absl::string_view::npos) break;
      i = end + 3;
      continue;
    }
    if (xml.substr(lt, 2) == "</") {
      size_t gt = xml.find('>', lt);
      if (gt == absl::string_view::npos) {
        return absl::InvalidArgumentError("PDML: unterminated end tag");
      }
      std::string tag(xml.substr(lt + 2, gt - lt - 2));
      while (!tag.empty() && IsSpace(tag.back())) tag.pop_back();
      if (stack.size() <= 1 || stack.back()->tag != tag) {
        return absl::InvalidArgumentError(
            absl::StrCat("PDML: unexpected </", tag, "> at offset ", lt));
      }
      stack.pop_back();
      i = gt + 1;
      continue;
    }
    // Start tag: name, then key="value" pairs, then '>' or '/>'.
    size_t p = lt + 1;
    size_t name_end = p;
    while (name_end < xml.size() && !IsSpace(xml[name_end]) &&
           xml[name_end] != '>' && xml[name_end] != '/') {
      ++name_end;
    }
    PdmlNode node;
    node.tag = std::string(xml.substr(p, name_end - p));
    p = name_end;
    bool self_closing = false;
    for (;;) {
      while (p < xml.size() && IsSpace(xml[p])) ++p;
      if (p >= xml.size()) {
        return absl::InvalidArgumentError("PDML: unterminated start tag");
      }
      if (xml[p] == '>') {
        ++p;
        break;
      }
      if (xml[p] == '/' && p + 1 < xml.size() && xml[p + 1] == '>') {
        self_closing = true;
        p += 2;
        break;
      }
      size_t eq = xml.find('=', p);
      if (eq == absl::string_view::npos || eq + 1 >= xml.size() ||
          (xml[eq + 1] != '"' && xml[eq + 1] != '\'')) {
        return absl::InvalidArgumentError(
            absl::StrCat("PDML: bad attribute at offset ", p));
      }
      absl::string_view key = xml.substr(p, eq - p);
      const char quote = xml[eq + 1];
      size_t close = xml.find(quote, eq + 2);
      if (close == absl::string_view::npos) {
        return absl::InvalidArgumentError("PDML: unterminated attribute");
      }
      SetAttribute(&node, key,
                   DecodeEntities(xml.substr(eq + 2, close - eq - 2)));
      p = close + 1;
    }
    PdmlNode* parent = stack.back();
    parent->children.push_back(std::move(node));
    // Only the innermost open element gets children, so this pointer stays
    // valid until the element is closed.
    if (!self_closing) stack.push_back(&parent->children.back());
    i = p;
  }
  if (stack.size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "PDML: truncated document, <", stack.back()->tag, "> still open"));
  }
  std::vector<PdmlNode> packets;
  for (PdmlNode& top : root.children) {
    if (top.tag == "pdml") {
      for (PdmlNode& c : top.children) {
        if (c.tag == "packet") packets.push_back(std::move(c));
      }
    } else if (top.tag == "packet") {
      packets.push_back(std::move(top));
    }
  }
  return packets;
}

}  // namespace interop
}  // namespace mikey
