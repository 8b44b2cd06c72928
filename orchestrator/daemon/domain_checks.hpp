#pragma once
// What a deploy's custom domains must not do (pure; admin_ops.cpp asks before anything is stored):
// take another function's custom domain, or a name of the NAME.<base domain> form that routes
// (or would route) to another function. And which of them no certificate covers.
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace svl::orchestrator {

// Every clash of `function`'s `domains`, one message each, in the order of `domains`; none: ok.
// `deployed`: each function that is deployed now and its custom domains (`function` itself may be
// among them: its own domains are no clash). `base_domains`: the daemon's `domains`.
std::vector<std::string> custom_domain_clashes(const std::string& function, const std::vector<std::string>& domains,
                                               const std::map<std::string, std::vector<std::string>>& deployed,
                                               const std::vector<std::string>& base_domains);

// One warning per domain `covers` says no certificate covers; none when `covers` is null (no TLS).
std::vector<std::string> certificate_warnings(const std::vector<std::string>& domains,
                                              const std::function<bool(const std::string&)>& covers);

}  // namespace svl::orchestrator
