# The examples go with the Lua modules (share/lua/5.4/mien/examples/), so an
# installed mien finds them: `mien examples` lists them and copies one out.
install(DIRECTORY examples/ DESTINATION ${LUA_LMODDIR}/mien/examples)
