// A small reader for tshark's PDML output (`tshark -T pdml`): the XML tree of
// <packet>, <proto> and <field> elements with their name/show/value
// attributes. Enough to compare what Wireshark dissected with what we built;
// not a general XML parser (no DTDs, no CDATA, which PDML does not use).

#ifndef MIKEY_TESTS_INTEROP_PDML_H_
#define MIKEY_TESTS_INTEROP_PDML_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mikey {
namespace interop {

struct PdmlNode {
  std::string tag;       // "packet", "proto" or "field"
  std::string name;      // e.g. "mikey.csb_id"
  std::string showname;  // e.g. "CSB ID: 0x12345678"
  std::string show;      // e.g. "0x12345678"
  std::string value;     // raw octets in hex, e.g. "12345678"
  long size = -1;        // octets covered, -1 when absent
  long pos = -1;         // offset in the frame, -1 when absent
  bool hidden = false;   // hide="yes"
  std::vector<PdmlNode> children;

  // Direct children named `name` (all of them when `name` is empty).
  std::vector<const PdmlNode*> Children(absl::string_view name = "") const;
  // The first direct child named `name`, or null.
  const PdmlNode* Child(absl::string_view name) const;
  // Every descendant named `name`, in document order.
  std::vector<const PdmlNode*> FindAll(absl::string_view name) const;
  // The first descendant named `name`, or null.
  const PdmlNode* Find(absl::string_view name) const;
  // Every descendant whose name starts with `prefix`, in document order.
  std::vector<const PdmlNode*> FindAllWithPrefix(
      absl::string_view prefix) const;
};

// Parses a whole PDML document into its <packet> elements, in order.
absl::StatusOr<std::vector<PdmlNode>> ParsePdml(absl::string_view xml);

}  // namespace interop
}  // namespace mikey

#endif  // MIKEY_TESTS_INTEROP_PDML_H_
