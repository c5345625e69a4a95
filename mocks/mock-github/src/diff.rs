//! Line diffs: the per-file `patch` of a pull request and the whole unified diff.

use std::collections::BTreeMap;

use crate::model::{FileChange, sha_of};

/// Lines of context around each change, like `git diff`.
const CONTEXT: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Keep,
    Del,
    Add,
}

/// The edit script turning `old` into `new` (longest common subsequence).
fn edit_script(old: &[&str], new: &[&str]) -> Vec<(Op, usize, usize)> {
    let (n, m) = (old.len(), new.len());
    // lcs[i][j]: LCS length of old[i..] and new[j..].
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if old[i] == new[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut script = Vec::with_capacity(n.max(m));
    while i < n || j < m {
        if i < n && j < m && old[i] == new[j] {
            script.push((Op::Keep, i, j));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            // Deletions first, like git.
            script.push((Op::Del, i, j));
            i += 1;
        } else {
            script.push((Op::Add, i, j));
            j += 1;
        }
    }
    script
}

/// Unified-diff hunks (`@@ -a,b +c,d @@` and lines) turning `old` into `new`, with the
/// number of added and deleted lines.
pub fn hunks(old: &str, new: &str) -> (String, usize, usize) {
    let old: Vec<&str> = old.lines().collect();
    let new: Vec<&str> = new.lines().collect();
    let script = edit_script(&old, &new);
    let changed: Vec<usize> = script
        .iter()
        .enumerate()
        .filter(|(_, (op, _, _))| *op != Op::Keep)
        .map(|(k, _)| k)
        .collect();
    let (mut out, mut additions, mut deletions) = (String::new(), 0, 0);
    let mut k = 0;
    while k < changed.len() {
        // Group changes closer than 2 * CONTEXT into one hunk.
        let start = changed[k].saturating_sub(CONTEXT);
        let mut last = changed[k];
        while k + 1 < changed.len() && changed[k + 1] <= last + 2 * CONTEXT {
            k += 1;
            last = changed[k];
        }
        let end = (last + CONTEXT + 1).min(script.len());
        let slice = &script[start..end];
        let old_start = slice[0].1;
        let new_start = slice[0].2;
        let old_len = slice.iter().filter(|(op, _, _)| *op != Op::Add).count();
        let new_len = slice.iter().filter(|(op, _, _)| *op != Op::Del).count();
        out.push_str(&format!(
            "@@ -{},{} +{},{} @@\n",
            if old_len == 0 {
                old_start
            } else {
                old_start + 1
            },
            old_len,
            if new_len == 0 {
                new_start
            } else {
                new_start + 1
            },
            new_len
        ));
        for &(op, i, j) in slice {
            match op {
                Op::Keep => out.push_str(&format!(" {}\n", old[i])),
                Op::Del => {
                    deletions += 1;
                    out.push_str(&format!("-{}\n", old[i]));
                }
                Op::Add => {
                    additions += 1;
                    out.push_str(&format!("+{}\n", new[j]));
                }
            }
        }
        k += 1;
    }
    (out, additions, deletions)
}

/// The changed files between two trees, sorted by path.
pub fn changes(
    base: &BTreeMap<String, String>,
    head: &BTreeMap<String, String>,
) -> Vec<FileChange> {
    let mut paths: Vec<&String> = base.keys().chain(head.keys()).collect();
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .filter_map(|path| {
            let before = base.get(path);
            let after = head.get(path);
            if before == after {
                return None;
            }
            let status = match (before, after) {
                (None, Some(_)) => "added",
                (Some(_), None) => "removed",
                _ => "modified",
            };
            let old = before.map_or("", String::as_str);
            let new = after.map_or("", String::as_str);
            let (patch, additions, deletions) = hunks(old, new);
            Some(FileChange {
                filename: path.clone(),
                status,
                additions,
                deletions,
                patch,
                sha: sha_of(after.or(before).map_or("", String::as_str)),
            })
        })
        .collect()
}

/// The `git diff` text of a set of changes, as `application/vnd.github.diff` answers it.
pub fn unified(files: &[FileChange]) -> String {
    let mut out = String::new();
    for file in files {
        let name = &file.filename;
        out.push_str(&format!("diff --git a/{name} b/{name}\n"));
        let short = &file.sha[..7];
        match file.status {
            "added" => {
                out.push_str(&format!(
                    "new file mode 100644\nindex 0000000..{short}\n--- /dev/null\n+++ b/{name}\n"
                ));
            }
            "removed" => {
                out.push_str(&format!(
                    "deleted file mode 100644\nindex {short}..0000000\n--- a/{name}\n+++ /dev/null\n"
                ));
            }
            _ => {
                out.push_str(&format!(
                    "index 0000000..{short} 100644\n--- a/{name}\n+++ b/{name}\n"
                ));
            }
        }
        out.push_str(&file.patch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunks_show_changes_with_context() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\n";
        let new = "a\nb\nc\nD\ne\nf\ng\nh\ni\n";
        let (patch, additions, deletions) = hunks(old, new);
        assert_eq!((additions, deletions), (2, 1));
        assert!(patch.starts_with("@@ -1,8 +1,9 @@\n"), "{patch}");
        assert!(patch.contains("-d\n+D\n"));
        assert!(patch.ends_with("+i\n"));
    }

    #[test]
    fn new_files_are_all_additions() {
        let (patch, additions, deletions) = hunks("", "x\ny\n");
        assert_eq!((additions, deletions), (2, 0));
        assert!(patch.starts_with("@@ -0,0 +1,2 @@\n"));
    }
}
